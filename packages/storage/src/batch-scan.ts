import { BATCH_HEADER_SIZE, BatchField, LOG_OVERHEAD } from '@millrace/protocol';
import type { Fs } from './fs.ts';

/** Bytes read per step while walking a segment file. */
const CHUNK_BYTES = 1 << 20;

export interface ScanEnd {
  /** File position where the walk stopped: after the last batch visited whole. */
  position: number;
  /** 'end': reached `end`; 'stopped': the visitor asked to stop; 'torn': the bytes at `position` are not a whole batch. */
  reason: 'end' | 'stopped' | 'torn';
}

/**
 * Visits every whole batch of a segment file between `start` and `end`, reading in large chunks.
 * The visitor sees the batch in `buf` at `at` (the whole batch is there) and its file position; it
 * returns false to stop. A batch whose length field points past `end` or below a header's size is
 * a torn tail.
 */
export async function scanBatches(
  fs: Fs,
  fd: number,
  start: number,
  end: number,
  visit: (buf: Buffer, at: number, position: number, size: number) => boolean,
): Promise<ScanEnd> {
  let position = start;
  let buf = Buffer.allocUnsafe(CHUNK_BYTES);
  while (position < end) {
    const want = Math.min(buf.length, end - position);
    const got = await readFully(fs, fd, buf, want, position);
    let at = 0;
    while (at + LOG_OVERHEAD <= got) {
      const size = buf.readInt32BE(at + BatchField.BATCH_LENGTH) + LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE || position + at + size > end) return { position: position + at, reason: 'torn' };
      if (at + size > got) break;
      if (!visit(buf, at, position + at, size)) return { position: position + at + size, reason: 'stopped' };
      at += size;
    }
    if (at === 0) {
      // One batch larger than the buffer: grow it and read again from the same place.
      if (got < want || got < LOG_OVERHEAD) return { position, reason: 'torn' };
      buf = Buffer.allocUnsafe(Math.max(buf.length * 2, buf.readInt32BE(BatchField.BATCH_LENGTH) + LOG_OVERHEAD));
      continue;
    }
    position += at;
    if (got < want) break;
  }
  return position >= end ? { position, reason: 'end' } : { position, reason: 'torn' };
}

/** Reads `length` bytes at `position` unless the file ends first; returns how many were read. */
export async function readFully(fs: Fs, fd: number, into: Buffer, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const n = await fs.read(fd, into, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
