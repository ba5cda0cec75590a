import { BATCH_HEADER_SIZE, BatchField, LOG_OVERHEAD } from '@millrace/protocol';
import { readFully } from './batch-scan.ts';
import type { Fs } from './fs.ts';
import type { Segment } from './segment.ts';
import { StorageError } from './storage-error.ts';

/** Header bytes that tell a batch's offsets: everything up to and including lastOffsetDelta. */
const OFFSETS_END = BatchField.LAST_OFFSET_DELTA + 4;

export interface SegmentReadRequest {
  /** The batch containing this offset comes first; earlier batches are skipped. */
  offset: number;
  /** Bytes to return at most, */
  budget: number;
  /** unless this lets the first batch exceed them. */
  minOneBatch: boolean;
  /** Batches at or beyond this offset are not durable and never returned. */
  durableEnd: number;
  /** Bytes expected between the index entry and the wanted batch (reading them in the same call saves a round trip). */
  slack: number;
}

export interface SegmentRead {
  /** Whole batches: a view of the buffer read, not a copy. */
  bytes: Buffer;
  /** The walk ran to the end of the segment's written data, so the next segment may continue it. */
  continues: boolean;
}

type Walk = { done: true; start: number; end: number; continues: boolean } | { done: false; resumeAt: number; need: number };

/**
 * Walks the batches in `buf` (read from file position `origin`, `got` bytes, of a file whose written
 * data ends at `fileEnd`): skips those wholly below the offset, then takes whole batches within the
 * budget. Says where to read again when the buffer ends before the walk does.
 */
function walk(buf: Buffer, got: number, origin: number, fileEnd: number, req: SegmentReadRequest): Walk {
  let at = 0;
  let start = -1;
  const finish = (continues: boolean): Walk => ({ done: true, start: start < 0 ? at : start, end: at, continues });
  for (;;) {
    const position = origin + at;
    if (position >= fileEnd) return finish(true);
    if (at + OFFSETS_END > got) {
      if (origin + got >= fileEnd) throw new StorageError(`partial batch header at position ${position} inside the written part of a segment`);
      return { done: false, resumeAt: start < 0 ? position : origin + start, need: start < 0 ? OFFSETS_END : at - start + OFFSETS_END };
    }
    const size = buf.readInt32BE(at + BatchField.BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || position + size > fileEnd) throw new StorageError(`corrupt batch length ${size} at position ${position} of a segment`);
    const base = Number(buf.readBigInt64BE(at + BatchField.BASE_OFFSET));
    if (base >= req.durableEnd) return finish(false);
    if (base + buf.readInt32BE(at + BatchField.LAST_OFFSET_DELTA) < req.offset) {
      // Skipping needs only the header, so the batch may end beyond the buffer.
      at += size;
      continue;
    }
    if (start < 0) start = at;
    const taken = at - start;
    if (taken + size > req.budget && !(req.minOneBatch && taken === 0)) return finish(false);
    if (at + size > got) return { done: false, resumeAt: origin + start, need: taken + size };
    at += size;
  }
}

/**
 * Whole durable batches of one segment from the batch containing `req.offset`, found from the offset
 * index. Usually one read: the window covers the index gap and the budget, and the result is a view
 * of it; a batch larger than the window, or a longer gap, costs one more read from where it starts.
 * The caller pins the segment.
 */
export async function readFromSegment(fs: Fs, segment: Segment, req: SegmentReadRequest): Promise<SegmentRead> {
  const fileEnd = segment.written;
  let origin = segment.positionAtOrBefore(req.offset);
  let want = req.slack + req.budget;
  for (;;) {
    const length = Math.min(fileEnd - origin, Math.max(want, OFFSETS_END));
    const buf = Buffer.allocUnsafe(length);
    const got = await readFully(fs, segment.fd, buf, length, origin);
    if (got < length) throw new StorageError(`short read: ${got} of ${length} bytes at position ${origin} of a segment`);
    const step = walk(buf, got, origin, fileEnd, req);
    if (step.done) return { bytes: buf.subarray(step.start, step.end), continues: step.continues };
    // Either the walk moved past `origin`, or it needs more than this window held: each round progresses.
    want = Math.max(step.need, req.slack + req.budget);
    origin = step.resumeAt;
  }
}
