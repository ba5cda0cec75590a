import { join } from 'node:path';
import { BatchField } from '@millrace/protocol';
import { scanBatches } from './batch-scan.ts';
import type { Fs } from './fs.ts';
import { Segment, segmentFileName } from './segment.ts';

/**
 * The file side of a follower's truncation (PartitionLog.truncateTo). Each step leaves files that
 * open as a whole log if the machine stops right after it: the caller lowers every checkpoint that
 * could point past the new end first, then deletes the later segments from the last one back, then
 * cuts the segment holding the new end.
 */

/** Where a segment is cut: the file position of the first batch removed, and the log end that leaves. */
export interface TruncationPoint {
  position: number;
  offset: number;
}

/**
 * Where to cut `segment` so that the log ends at or before `offset`: at the first batch whose last
 * offset reaches it (truncation points are batch boundaries). The new end is the end of the batch
 * before it, as recovery would find it from the file, so it may be below `offset` where compaction
 * left a gap, and is the segment's base offset if no batch stays.
 */
export async function findTruncationPoint(fs: Fs, segment: Segment, offset: number): Promise<TruncationPoint> {
  if (segment.written === 0) return { position: 0, offset: segment.baseOffset };
  let found: TruncationPoint = { position: segment.written, offset: segment.nextOffset };
  let end = segment.baseOffset;
  await scanBatches(fs, segment.fd, 0, segment.written, (buf, at, position) => {
    const last = Number(buf.readBigInt64BE(at + BatchField.BASE_OFFSET)) + buf.readInt32BE(at + BatchField.LAST_OFFSET_DELTA);
    if (last >= offset) {
      found = { position, offset: end };
      return false;
    }
    end = last + 1;
    return true;
  });
  return found;
}

/**
 * Deletes the files of `segments` (those after the cut, in log order), the last one first, and
 * syncs the directory after each: however many a crash lets go, the ones left follow each other.
 */
export async function deleteSegmentsFromEnd(fs: Fs, dir: string, segments: Segment[]): Promise<void> {
  for (const gone of [...segments].reverse()) {
    await gone.remove(fs);
    for (const suffix of ['.log', '.index', '.timeindex'] as const) {
      await fs.unlink(join(dir, segmentFileName(gone.baseOffset, suffix))).catch((err: NodeJS.ErrnoException) => {
        // A segment rolled in memory has no files yet.
        if (err.code !== 'ENOENT') throw err;
      });
    }
    await fs.fsyncDir(dir);
  }
}

/**
 * Cuts `segment`'s file at `position` and syncs it, so the records cut off cannot come back at a
 * crash, then opens it again from the file (indexes rebuilt from the batches kept). The old
 * segment is closed once reads in flight are done with it.
 */
export async function cutSegment(fs: Fs, segment: Segment, position: number, indexIntervalBytes: number): Promise<Segment> {
  if (segment.written > position) {
    await fs.truncate(segment.fd, position);
    await fs.fdatasync(segment.fd);
  }
  segment.pin();
  try {
    const rules = { indexIntervalBytes, recoveryPoint: 0, isLast: true, allDurable: false };
    return (await Segment.recover(fs, segment.dir, segment.baseOffset, rules)).segment;
  } finally {
    await segment.remove(fs);
    await segment.unpin(fs);
  }
}
