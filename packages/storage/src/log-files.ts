// The files of a partition's directory besides its segments: checkpoints, and the copies
// compaction writes before they replace segments.
import { join } from 'node:path';
import type { Fs } from './fs.ts';
import { segmentFileName } from './segment.ts';

/** The log start offset moved by retention and DeleteRecords. */
export const LOG_START_OFFSET_FILE = 'log-start-offset.checkpoint';
/** Offsets below it are durable, and so are the index files of the segments wholly below it. */
export const RECOVERY_POINT_FILE = 'recovery-point.checkpoint';
/** Where the part of the log that compaction has not seen yet begins. */
export const CLEANER_OFFSET_FILE = 'cleaner-offset.checkpoint';
/** A compacted copy of some segments being written; a crash leaves it incomplete, so it is deleted. */
export const CLEANED_SUFFIX = '.cleaned';
/** `<base>-<end>.swap`: a complete compacted copy that replaces the segments with base offsets in [base, end). */
const SWAP_FILE = /^(\d{20})-(\d{20})\.swap$/;

export function swapFileName(base: number, end: number): string {
  return `${String(base).padStart(20, '0')}-${String(end).padStart(20, '0')}.swap`;
}

/**
 * Deletes the files of the segments a committed swap replaces (base offsets `bases`), then renames
 * the swap to `<base>.log` and syncs the directory. Files still open stay readable until closed.
 */
export async function replaceWithSwap(fs: Fs, dir: string, swap: string, base: number, bases: number[]): Promise<void> {
  for (const old of bases) {
    for (const suffix of ['.log', '.index', '.timeindex'] as const) {
      await fs.unlink(join(dir, segmentFileName(old, suffix))).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }
  await fs.rename(swap, join(dir, segmentFileName(base, '.log')));
  await fs.fsyncDir(dir);
}

/** After a crash during compaction: an incomplete copy is deleted, a committed swap is finished. */
export async function finishInterruptedCompaction(fs: Fs, dir: string): Promise<void> {
  const names = await fs.readdir(dir);
  for (const name of names) if (name.endsWith(CLEANED_SUFFIX)) await fs.unlink(join(dir, name));
  for (const name of names) {
    const swap = SWAP_FILE.exec(name);
    if (!swap) continue;
    const [base, end] = [Number(swap[1]), Number(swap[2])];
    const replaced = names.filter((n) => /^\d{20}\.log$/.test(n)).map((n) => Number(n.slice(0, 20))).filter((b) => b >= base && b < end);
    // The index files of the first segment may be left from before: deleting them makes recovery rebuild them from the new log.
    await replaceWithSwap(fs, dir, join(dir, name), base, [...new Set([base, ...replaced])]);
  }
}
