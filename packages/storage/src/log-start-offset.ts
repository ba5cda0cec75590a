import { join } from 'node:path';
import { crc32c } from '@millrace/protocol';
import type { Fs } from './fs.ts';

/**
 * The log start offset moved by DeleteRecords, in a small checkpoint file: "v1 <offset> <crc>",
 * written to a temp file, fsynced, renamed over the old one, and the directory fsynced, so a crash
 * leaves either the old or the new value, never a torn one.
 */
const FILE = 'log-start-offset.checkpoint';

function body(offset: number): string {
  return `v1 ${offset}`;
}

export async function writeLogStartOffset(fs: Fs, dir: string, offset: number): Promise<void> {
  const text = body(offset);
  const data = Buffer.from(`${text} ${crc32c(Buffer.from(text))}\n`);
  const tmp = join(dir, `${FILE}.tmp`);
  await fs.writeFile(tmp, data);
  const fd = await fs.openReadWrite(tmp);
  try {
    await fs.fdatasync(fd);
  } finally {
    await fs.close(fd);
  }
  await fs.rename(tmp, join(dir, FILE));
  await fs.fsyncDir(dir);
}

/** The stored offset, or null if there is none; a damaged checkpoint is an error, not a silent reset. */
export async function readLogStartOffset(fs: Fs, dir: string): Promise<number | null> {
  const data = await fs.readFileIfExists(join(dir, FILE));
  if (data === null) return null;
  const match = /^(v1 (\d+)) (\d+)\n$/.exec(data.toString('utf8'));
  if (!match || crc32c(Buffer.from(match[1])) !== Number(match[3])) throw new Error(`${join(dir, FILE)} is damaged`);
  return Number(match[2]);
}
