import { BATCH_HEADER_SIZE, BatchField, CURRENT_MAGIC, LOG_OVERHEAD, batchCrcMatches } from '@millrace/protocol';
import { readFully } from './batch-scan.ts';
import type { Fs } from './fs.ts';

/** Offsets of one batch in a log file. */
export interface StoredBatch {
  position: number;
  baseOffset: number;
  lastOffset: number;
}

/**
 * Why the whole batch at `at` cannot be part of a log whose next offset is `nextOffset`, or null if
 * it can: magic 2, a CRC that matches, and offsets that only go forward (compaction leaves gaps,
 * never overlaps).
 */
export function batchProblem(buf: Buffer, at: number, size: number, nextOffset: number): string | null {
  const magic = buf.readInt8(at + BatchField.MAGIC);
  if (magic !== CURRENT_MAGIC) return `magic byte ${magic}`;
  if (!batchCrcMatches(buf, at, size)) return 'CRC mismatch';
  const base = Number(buf.readBigInt64BE(at + BatchField.BASE_OFFSET));
  const lastDelta = buf.readInt32BE(at + BatchField.LAST_OFFSET_DELTA);
  if (base < nextOffset) return `base offset ${base} goes back (expected >= ${nextOffset})`;
  if (lastDelta < 0) return `negative last offset delta ${lastDelta}`;
  return null;
}

/** Largest gap between offsets of consecutive batches that the search below considers plausible. */
const MAX_OFFSET_JUMP = 2 ** 31;
const CHUNK_BYTES = 1 << 20;

/**
 * Looks for any valid batch that starts at or after byte `from` (before `end`), with a base offset
 * at or above `minOffset`. Recovery uses it to tell a torn tail (nothing valid after the damage:
 * safe to cut) from damage in the middle of data (valid batches after it: cutting would drop them).
 * Candidate positions are filtered on the header (magic, length, offset range) before the CRC.
 */
export async function findValidBatchAfter(fs: Fs, fd: number, from: number, end: number, minOffset: number): Promise<StoredBatch | null> {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  for (let start = from; start + BATCH_HEADER_SIZE <= end; start += CHUNK_BYTES - BATCH_HEADER_SIZE) {
    const got = await readFully(fs, fd, chunk, Math.min(CHUNK_BYTES, end - start), start);
    for (let at = 0; at + BATCH_HEADER_SIZE <= got; at++) {
      if (chunk[at + BatchField.MAGIC] !== CURRENT_MAGIC) continue;
      const size = chunk.readInt32BE(at + BatchField.BATCH_LENGTH) + LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE || start + at + size > end) continue;
      const base = Number(chunk.readBigInt64BE(at + BatchField.BASE_OFFSET));
      if (base < minOffset || base - minOffset > MAX_OFFSET_JUMP) continue;
      const inChunk = at + size <= got;
      const batch = inChunk ? chunk.subarray(at, at + size) : Buffer.allocUnsafe(size);
      if (!inChunk && (await readFully(fs, fd, batch, size, start + at)) < size) continue;
      if (batchProblem(batch, 0, size, minOffset) === null) {
        return { position: start + at, baseOffset: base, lastOffset: base + batch.readInt32BE(BatchField.LAST_OFFSET_DELTA) };
      }
    }
    if (got < Math.min(CHUNK_BYTES, end - start)) break;
  }
  return null;
}
