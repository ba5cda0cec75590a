import { join } from 'node:path';
import { BatchField, CURRENT_MAGIC, LOG_OVERHEAD } from '@millrace/protocol';
import { readFully, scanBatches } from './batch-scan.ts';
import { batchProblem, findValidBatchAfter } from './batch-validation.ts';
import type { Fs } from './fs.ts';
import { SparseIndex } from './offset-index.ts';
import { CorruptLogError, StorageError } from './storage-error.ts';

/** Pending bytes up to which a group commit writes on the event loop rather than in the thread pool. */
const SYNC_WRITE_MAX_BYTES = 64 * 1024;

async function readAll(fs: Fs, fd: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(await fs.size(fd));
  return buf.subarray(0, await readFully(fs, fd, buf, buf.length, 0));
}

/** Kafka's file names: the base offset as 20 zero-padded digits. */
export function segmentFileName(baseOffset: number, suffix: '.log' | '.index' | '.timeindex'): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

/** What recovery may do with an invalid batch it finds in a segment. */
export interface RecoveryRules {
  indexIntervalBytes: number;
  /** Offsets below it were durable when it was checkpointed: damage there is corruption, not a torn write. */
  recoveryPoint: number;
  /** The log's last segment: the only place a torn tail can be. */
  isLast: boolean;
  /** After a clean shutdown every byte was durable: any invalid batch is corruption. */
  allDurable: boolean;
  /** Told of every valid batch the walk passes, in order (recovery rebuilds the producer state from them). */
  onBatch?: (buf: Buffer, at: number) => void;
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
  /** The index files hold every entry and are synced: true for a segment loaded from them, false once entries are written. */
  private indexDurable = false;
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
   * Opens an existing segment and rebuilds its state by walking every batch and validating it
   * (length, magic, CRC, offsets going forward); the indexes are rewritten from the walk, so a
   * missing or damaged index file never matters. What happens at the first invalid batch follows
   * `rules`: a torn tail (the last segment, past the recovery point, nothing valid after it) is cut
   * off; anything else is a CorruptLogError and nothing is changed on disk.
   */
  static async recover(fs: Fs, dir: string, baseOffset: number, rules: RecoveryRules): Promise<{ segment: Segment; truncatedBytes: number }> {
    const segment = await Segment.openFiles(fs, dir, baseOffset);
    try {
      const fileSize = await fs.size(segment.fd);
      let problem: string | null = null;
      let invalidAt = -1;
      const end = await scanBatches(fs, segment.fd, 0, fileSize, (buf, at, position, size) => {
        problem = batchProblem(buf, at, size, segment.nextOffset);
        if (problem !== null) {
          invalidAt = position;
          return false;
        }
        segment.track(buf, at, position, size, rules.indexIntervalBytes);
        rules.onBatch?.(buf, at);
        return true;
      });
      if (end.reason === 'torn') {
        invalidAt = end.position;
        problem = 'incomplete batch: its length runs past the end of the file';
      }
      if (invalidAt >= 0) await segment.checkCuttable(fs, invalidAt, fileSize, problem!, rules);
      else if (rules.isLast && segment.nextOffset < rules.recoveryPoint) {
        throw new CorruptLogError(`${segment.logPath}: the log ends at offset ${segment.nextOffset}, but offsets below ${rules.recoveryPoint} were durable (recovery point): data is missing`);
      }
      const keep = invalidAt >= 0 ? invalidAt : fileSize;
      if (keep < fileSize) await fs.truncate(segment.fd, keep);
      segment.size = segment.written = keep;
      segment.pending = [];
      await fs.truncate(segment.indexFd, 0);
      await fs.truncate(segment.timeIndexFd, 0);
      segment.writeIndexes(fs);
      return { segment, truncatedBytes: fileSize - keep };
    } catch (err) {
      await segment.closeFiles(fs);
      throw err;
    }
  }

  private get logPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, '.log'));
  }

  /** Throws unless the bytes from `position` on are a torn tail that recovery may cut. */
  private async checkCuttable(fs: Fs, position: number, fileSize: number, problem: string, rules: RecoveryRules): Promise<void> {
    const where = `${this.logPath}: invalid batch at byte ${position} (${problem}), where offset ${this.nextOffset} was expected`;
    const cut = `cutting the file there (truncate -s ${position}) would drop offsets ${this.nextOffset} and later`;
    if (rules.allDurable) throw new CorruptLogError(`${where}; the log was shut down cleanly, so these bytes were durable. ${cut}`);
    if (this.nextOffset < rules.recoveryPoint) throw new CorruptLogError(`${where}; offsets below ${rules.recoveryPoint} were durable (recovery point). ${cut}`);
    if (!rules.isLast) throw new CorruptLogError(`${where}; later segments follow it. ${cut}`);
    const valid = await findValidBatchAfter(fs, this.fd, position + 1, fileSize, this.nextOffset);
    if (valid) throw new CorruptLogError(`${where}; a valid batch (offsets ${valid.baseOffset}-${valid.lastOffset}) follows at byte ${valid.position}. ${cut}`);
  }

  /**
   * Opens a segment from its index files, without walking its batches; null if an index file is
   * missing or does not fit the log file, and the caller recovers the segment instead. A sealed
   * segment ends where the next one starts (`nextBaseOffset`); the last one (null) is walked from
   * its last index entry to find its end, and every batch of that walk is validated.
   */
  static async load(fs: Fs, dir: string, baseOffset: number, nextBaseOffset: number | null): Promise<Segment | null> {
    const segment = await Segment.openFiles(fs, dir, baseOffset);
    const fileSize = await fs.size(segment.fd);
    const indexBytes = await readAll(fs, segment.indexFd);
    const timeBytes = await readAll(fs, segment.timeIndexFd);
    const span = nextBaseOffset === null ? 2 ** 31 : nextBaseOffset - baseOffset;
    const offsetsOk = indexBytes.length > 0 && segment.offsetIndex.load(indexBytes, (rel, position) => rel >= 0 && rel < span && position >= 0 && position < fileSize);
    const timesOk = timeBytes.length > 0 && segment.timeIndex.load(timeBytes, (_ts, rel) => rel >= 0 && rel < span);
    const end = offsetsOk && timesOk && fileSize > 0 ? (nextBaseOffset ?? (await segment.walkTail(fs, fileSize))) : null;
    if (end === null) {
      await segment.closeFiles(fs);
      return null;
    }
    segment.offsetIndex.takeUnwritten();
    segment.timeIndex.takeUnwritten();
    segment.size = segment.written = fileSize;
    segment.indexBytes = indexBytes.length;
    segment.timeIndexBytes = timeBytes.length;
    segment.indexDurable = true;
    segment.nextOffset = end;
    segment.maxTimestamp = segment.timeIndex.lastKey();
    segment.offsetOfMaxTimestamp = baseOffset + segment.timeIndex.floor(segment.maxTimestamp, 0);
    return segment;
  }

  /** The end offset of the last segment, walking from its last index entry; null unless every batch there is valid and whole. */
  private async walkTail(fs: Fs, fileSize: number): Promise<number | null> {
    const from = this.offsetIndex.floor(2 ** 31, 0);
    let next = this.baseOffset;
    let bytes = 0;
    const end = await scanBatches(fs, this.fd, from, fileSize, (buf, at, _position, size) => {
      if (batchProblem(buf, at, size, next) !== null) return false;
      next = Number(buf.readBigInt64BE(at + BatchField.BASE_OFFSET)) + buf.readInt32BE(at + BatchField.LAST_OFFSET_DELTA) + 1;
      bytes += size;
      return true;
    });
    if (end.reason !== 'end' || end.position !== fileSize) return null;
    this.bytesSinceIndexEntry = bytes;
    return next;
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

  /**
   * Queues one already-patched batch for writing. Every append of the log comes here, so here the
   * log's invariants are asserted before anything changes: a whole v2 batch whose offsets go
   * forward. (Its CRC was checked before: by produce validation, by the follower's check of what it
   * fetched, or it was made by our own encoder.) A breach is a bug, refused rather than written.
   */
  append(buf: Buffer, at: number, size: number, indexIntervalBytes: number, now: number): void {
    const problem = appendProblem(buf, at, size, this.nextOffset);
    if (problem) throw new RangeError(`${this.logPath}: refusing to append a batch at offset ${this.nextOffset}: ${problem}`);
    this.track(buf, at, this.size, size, indexIntervalBytes);
    this.pending.push(at === 0 && size === buf.length ? buf : buf.subarray(at, at + size));
    this.size += size;
    this.firstAppendAt ??= now;
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /**
   * Writes the pending batches to the file (not yet synced). A small write is made on the calling
   * thread: copying a few KiB into the page cache takes microseconds, while the round trip through
   * the thread pool can wait milliseconds for a core on a busy machine, and every acknowledgement
   * waits for it.
   */
  async writePending(fs: Fs): Promise<void> {
    await this.ensureFiles(fs);
    const buffers = this.pending;
    this.pending = [];
    const bytes = buffers.reduce((n, b) => n + b.length, 0);
    if (bytes <= SYNC_WRITE_MAX_BYTES) fs.writevSync(this.fd, buffers, this.written);
    else await fs.writev(this.fd, buffers, this.written);
    this.written += bytes;
  }

  /**
   * Appends new index entries to the index files, unsynced: a segment past the recovery point is
   * rebuilt on recovery anyway. `syncIndexes` makes them durable before the recovery point passes it.
   * The entries are a few bytes each, written on the calling thread (see writePending).
   */
  writeIndexes(fs: Fs): void {
    const entries = this.offsetIndex.takeUnwritten();
    const times = this.timeIndex.takeUnwritten();
    if (entries.length > 0 || times.length > 0) this.indexDurable = false;
    if (entries.length > 0) {
      fs.writevSync(this.indexFd, entries, this.indexBytes);
      this.indexBytes += entries.length * 8;
    }
    if (times.length > 0) {
      fs.writevSync(this.timeIndexFd, times, this.timeIndexBytes);
      this.timeIndexBytes += times.length * 12;
    }
  }

  /** Writes and fdatasyncs the index files, if anything changed since the last sync. */
  async syncIndexes(fs: Fs): Promise<void> {
    if (this.fd < 0) return;
    this.writeIndexes(fs);
    if (this.indexDurable) return;
    await fs.fdatasync(this.indexFd);
    await fs.fdatasync(this.timeIndexFd);
    this.indexDurable = true;
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

/** Why the batch at `at` breaks the log's invariants as the next batch after `nextOffset`, or null. */
function appendProblem(buf: Buffer, at: number, size: number, nextOffset: number): string | null {
  if (size < LOG_OVERHEAD || at + size > buf.length || buf.readInt32BE(at + BatchField.BATCH_LENGTH) + LOG_OVERHEAD !== size) return `its length does not match its ${size} bytes`;
  const magic = buf.readInt8(at + BatchField.MAGIC);
  if (magic !== CURRENT_MAGIC) return `magic ${magic}`;
  const base = Number(buf.readBigInt64BE(at + BatchField.BASE_OFFSET));
  if (base < nextOffset) return `its base offset ${base} goes back`;
  const lastDelta = buf.readInt32BE(at + BatchField.LAST_OFFSET_DELTA);
  if (lastDelta < 0) return `its last offset delta ${lastDelta} is negative`;
  return null;
}
