import { dirname } from 'node:path';
import { crc32c } from '@millrace/protocol';
import type { Fs } from './fs.ts';

/**
 * A small durable file holding one value (an offset, or a marker word): "v1 <value> <crc32c>\n".
 * It is written to a temp file, fsynced, renamed over the old one, and the directory fsynced, so a
 * crash leaves the old or the new value, never a torn one; the version and CRC let a reader tell a
 * damaged file from a valid one instead of silently starting over.
 */
const FORMAT = /^(v1 ([^ \n]+)) (\d+)\n$/;

export async function writeCheckpoint(fs: Fs, path: string, value: string | number): Promise<void> {
  const text = `v1 ${value}`;
  await writeFileDurably(fs, path, Buffer.from(`${text} ${crc32c(Buffer.from(text))}\n`));
}

/** Replaces `path` with `data` so that a crash leaves the old or the new contents: temp file, fsync, rename, fsync of the directory. */
export async function writeFileDurably(fs: Fs, path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.tmp`;
  await fs.writeFile(tmp, data);
  const fd = await fs.openReadWrite(tmp);
  try {
    await fs.fdatasync(fd);
  } finally {
    await fs.close(fd);
  }
  await fs.rename(tmp, path);
  await fs.fsyncDir(dirname(path));
}

/** The stored value, or null when there is no file; a damaged file is an error, not a silent reset. */
export async function readCheckpoint(fs: Fs, path: string): Promise<string | null> {
  const data = await fs.readFileIfExists(path);
  if (data === null) return null;
  const match = FORMAT.exec(data.toString('latin1'));
  if (!match || crc32c(Buffer.from(match[1], 'latin1')) !== Number(match[3])) throw new Error(`${path} is damaged (bad format or CRC)`);
  return match[2];
}

/** An offset checkpoint (log start offset, recovery point, cleaner position); null when there is none. */
export async function readOffsetCheckpoint(fs: Fs, path: string): Promise<number | null> {
  const value = await readCheckpoint(fs, path);
  if (value === null) return null;
  if (!/^\d+$/.test(value)) throw new Error(`${path} holds ${JSON.stringify(value)}, not an offset`);
  return Number(value);
}

/** Removes a checkpoint file if it exists, durably. */
export async function removeCheckpoint(fs: Fs, path: string): Promise<void> {
  if ((await fs.readFileIfExists(path)) === null) return;
  await fs.unlink(path);
  await fs.fsyncDir(dirname(path));
}
