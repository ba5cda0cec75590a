import { join } from 'node:path';
import { BatchField, batchCrcMatches } from '@millrace/protocol';
import { readFully, scanBatches } from './batch-scan.ts';
import type { Fs } from './fs.ts';
import { SparseIndex } from './offset-index.ts';
import { StorageError } from './storage-error.ts';

async function readAll(fs: Fs, fd: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(await fs.size(fd));
  return buf.subarray(0, await readFully(fs, fd, buf, buf.length, 0));
}

/** Kafka's file names: the base offset as 20 zero-padded digits. */
export function segmentFileName(baseOffset: number, suffix: '.log' | '.index' | '.timeindex'): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

export interface BatchInfo {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

/**
 * One segment: a `.log` file of whole batches and its sparse offset and time indexes, held in
 * memory and appended to their files. Appends are buffered (`pending`) until the log's next flush
 * writes them; reads only ever touch bytes that were written and synced.
 */
export class Segment {
  readonly baseOffset: number;
  readonly dir: string;
  /** -1 until the first flush creates the files of a segment rolled in memory. */
  fd: number;
  private indexFd: number;
  private timeIndexFd: number;
  /** Bytes in the file plus bytes pending. */
  size: number;
  /** Bytes already written to the file. */
  written: number;
  nextOffset: number;
  readonly offsetIndex = new SparseIndex('offset');
  readonly timeIndex = new SparseIndex('time');
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /** Wall-clock time of the first append (segment.ms counts from it); null while empty. */
  firstAppendAt: number | null = null;
  private pending: Buffer[] = [];
  private bytesSinceIndexEntry = 0;
  private indexBytes = 0;
  private timeIndexBytes = 0;
  /** Reads in flight. A removed segment keeps its files open until they end: closing under them would fail them, or worse, let a reused descriptor serve another file's bytes. */
  private pins = 0;
  private removed = false;

  private constructor(dir: string, baseOffset: number, fd: number, indexFd: number, timeIndexFd: number) {
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.fd = fd;
    this.indexFd = indexFd;
    this.timeIndexFd = timeIndexFd;
    this.size = 0;
    this.written = 0;
    this.nextOffset = baseOffset;
  }

  private static async openFiles(fs: Fs, dir: string, baseOffset: number): Promise<Segment> {
    const fd = await fs.openReadWrite(join(dir, segmentFileName(baseOffset, '.log')));
    const indexFd = await fs.openReadWrite(join(dir, segmentFileName(baseOffset, '.index')));
    const timeIndexFd = await fs.openReadWrite(join(dir, segmentFileName(baseOffset, '.timeindex')));
    return new Segment(dir, baseOffset, fd, indexFd, timeIndexFd);
  }

  /** A new, empty segment; its files are created by the first write (appends are synchronous, file creation is not). */
  static fresh(dir: string, baseOffset: number): Segment {
    return new Segment(dir, baseOffset, -1, -1, -1);
  }

  private async ensureFiles(fs: Fs): Promise<void> {
    if (this.fd >= 0) return;
    if (this.removed) throw new StorageError(`segment ${segmentFileName(this.baseOffset, '.log')} of ${this.dir} was removed`);
    const opened = await Segment.openFiles(fs, this.dir, this.baseOffset);
    this.fd = opened.fd;
    this.indexFd = opened.indexFd;
    this.timeIndexFd = opened.timeIndexFd;
    await fs.fsyncDir(this.dir);
  }

  /**
   * Opens an existing segment and rebuilds its state by walking every batch and checking its CRC.
   * Whatever follows the last whole, valid batch (a write torn by a crash) is cut off; the indexes
   * are rewritten from the walk, so a missing or damaged index file never matters.
   */
  static async recover(fs: Fs, dir: string, baseOffset: number, indexIntervalBytes: number): Promise<{ segment: Segment; truncatedBytes: number }> {
    const segment = await Segment.openFiles(fs, dir, baseOffset);
    const fileSize = await fs.size(segment.fd);
    let invalidAt = -1;
    const end = await scanBatches(fs, segment.fd, 0, fileSize, (buf, at, position, size) => {
      if (!batchCrcMatches(buf, at, size)) {
        invalidAt = position;
        return false;
      }
      segment.track(buf, at, position, size, indexIntervalBytes);
      return true;
    });
    const validEnd = invalidAt >= 0 ? invalidAt : end.position;
    if (validEnd < fileSize) await fs.truncate(segment.fd, validEnd);
    segment.size = segment.written = validEnd;
    segment.pending = [];
    await fs.truncate(segment.indexFd, 0);
    await fs.truncate(segment.timeIndexFd, 0);
    await segment.writeIndexes(fs);
    return { segment, truncatedBytes: fileSize - validEnd };
  }

  /**
   * Opens a sealed segment (not the last one) from its index files, without reading the log; null
   * if an index file is missing or damaged, and the caller recovers the segment instead.
   * Sealed segments are contiguous, so the next segment's base offset is this one's end.
   */
  static async load(fs: Fs, dir: string, baseOffset: number, nextBaseOffset: number): Promise<Segment | null> {
    const segment = await Segment.openFiles(fs, dir, baseOffset);
    const fileSize = await fs.size(segment.fd);
    const indexBytes = await readAll(fs, segment.indexFd);
    const timeBytes = await readAll(fs, segment.timeIndexFd);
    const span = nextBaseOffset - baseOffset;
    const offsetsOk = indexBytes.length > 0 && segment.offsetIndex.load(indexBytes, (rel, position) => rel >= 0 && rel < span && position >= 0 && position < fileSize);
    const timesOk = timeBytes.length > 0 && segment.timeIndex.load(timeBytes, (_ts, rel) => rel >= 0 && rel < span);
    if (!offsetsOk || !timesOk || fileSize === 0) {
      await segment.closeFiles(fs);
      return null;
    }
    segment.offsetIndex.takeUnwritten();
    segment.timeIndex.takeUnwritten();
    segment.size = segment.written = fileSize;
    segment.indexBytes = indexBytes.length;
    segment.timeIndexBytes = timeBytes.length;
    segment.nextOffset = nextBaseOffset;
    segment.maxTimestamp = segment.timeIndex.lastKey();
    segment.offsetOfMaxTimestamp = baseOffset + segment.timeIndex.floor(segment.maxTimestamp, 0);
    return segment;
  }

  /** Records a batch at `position` in the in-memory state: offsets, timestamps, index entries. */
  private track(buf: Buffer, at: number, position: number, size: number, indexIntervalBytes: number): void {
    const base = Number(buf.readBigInt64BE(at + BatchField.BASE_OFFSET));
    const last = base + buf.readInt32BE(at + BatchField.LAST_OFFSET_DELTA);
    const maxTimestamp = Number(buf.readBigInt64BE(at + BatchField.MAX_TIMESTAMP));
    if (this.bytesSinceIndexEntry >= indexIntervalBytes || this.offsetIndex.length === 0) {
      this.offsetIndex.add(base - this.baseOffset, position);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += size;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = last;
      if (maxTimestamp > this.timeIndex.lastKey()) this.timeIndex.add(maxTimestamp, last - this.baseOffset);
    }
    this.nextOffset = last + 1;
  }

  /** Queues one already-patched batch for writing. */
  append(buf: Buffer, at: number, size: number, indexIntervalBytes: number, now: number): void {
    this.track(buf, at, this.size, size, indexIntervalBytes);
    this.pending.push(at === 0 && size === buf.length ? buf : buf.subarray(at, at + size));
    this.size += size;
    this.firstAppendAt ??= now;
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Writes the pending batches to the file (not yet synced). */
  async writePending(fs: Fs): Promise<void> {
    await this.ensureFiles(fs);
    const buffers = this.pending;
    this.pending = [];
    const bytes = buffers.reduce((n, b) => n + b.length, 0);
    await fs.writev(this.fd, buffers, this.written);
    this.written += bytes;
  }

  /** Appends new index entries to the index files. They are rebuilt on recovery, so they need no sync of their own. */
  async writeIndexes(fs: Fs): Promise<void> {
    const entries = this.offsetIndex.takeUnwritten();
    if (entries.length > 0) {
      await fs.writev(this.indexFd, entries, this.indexBytes);
      this.indexBytes += entries.length * 8;
    }
    const times = this.timeIndex.takeUnwritten();
    if (times.length > 0) {
      await fs.writev(this.timeIndexFd, times, this.timeIndexBytes);
      this.timeIndexBytes += times.length * 12;
    }
  }

  /** File position of the batch containing `offset`, or of a batch before it (a scan finds the exact one). */
  positionAtOrBefore(offset: number): number {
    return this.offsetIndex.floor(offset - this.baseOffset, 0);
  }

  get isRemoved(): boolean {
    return this.removed;
  }

  /** Holds the files open for a read until `unpin`. */
  pin(): void {
    this.pins++;
  }

  async unpin(fs: Fs): Promise<void> {
    this.pins--;
    if (this.removed && this.pins === 0) await this.closeFiles(fs);
  }

  /** Takes the segment out of service (deleted, or its log closed): its files close now, or when the last read in flight ends. */
  async remove(fs: Fs): Promise<void> {
    this.removed = true;
    if (this.pins === 0) await this.closeFiles(fs);
  }

  private async closeFiles(fs: Fs): Promise<void> {
    if (this.fd < 0) return;
    const fds = [this.fd, this.indexFd, this.timeIndexFd];
    this.fd = this.indexFd = this.timeIndexFd = -1;
    for (const fd of fds) await fs.close(fd);
  }
}
