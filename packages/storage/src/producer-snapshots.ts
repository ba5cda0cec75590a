import { join } from 'node:path';
import { writeFileDurably } from './checkpoint-file.ts';
import type { Fs } from './fs.ts';
import { ProducerState } from './producer-state.ts';

/** `<offset>.snapshot`: the producer state as of that offset (Kafka's name for the same file). */
const SNAPSHOT_FILE = /^(\d{20})\.snapshot$/;
/** Snapshots kept: the newest, and one before it in case the newest is damaged. */
const KEPT = 2;

function snapshotOffsets(names: string[]): number[] {
  return names.flatMap((n) => {
    const m = SNAPSHOT_FILE.exec(n);
    return m ? [Number(m[1])] : [];
  }).sort((a, b) => b - a);
}

function snapshotPath(dir: string, offset: number): string {
  return join(dir, `${String(offset).padStart(20, '0')}.snapshot`);
}

/** The newest readable snapshot at or below `maxOffset`, or null if there is none. */
export async function readProducerSnapshot(fs: Fs, dir: string, maxOffset = Number.MAX_SAFE_INTEGER): Promise<{ state: ProducerState; offset: number } | null> {
  for (const offset of snapshotOffsets(await fs.readdir(dir))) {
    if (offset > maxOffset) continue;
    const data = await fs.readFileIfExists(snapshotPath(dir, offset));
    const decoded = data && ProducerState.decode(data);
    if (decoded && decoded.offset === offset) return decoded;
  }
  return null;
}

/** Writes a snapshot durably, then deletes all but the newest KEPT. */
export async function writeProducerSnapshot(fs: Fs, dir: string, offset: number, data: Buffer): Promise<void> {
  await writeFileDurably(fs, snapshotPath(dir, offset), data);
  for (const old of snapshotOffsets(await fs.readdir(dir)).slice(KEPT)) await fs.unlink(snapshotPath(dir, old));
}

/**
 * Deletes the snapshots of offsets past `offset` (the log was cut there: they describe records that
 * are gone), durably: a snapshot past the log end makes the log fail to open.
 */
export async function removeProducerSnapshotsAbove(fs: Fs, dir: string, offset: number): Promise<void> {
  const above = snapshotOffsets(await fs.readdir(dir)).filter((old) => old > offset);
  for (const old of above) await fs.unlink(snapshotPath(dir, old));
  if (above.length > 0) await fs.fsyncDir(dir);
}
