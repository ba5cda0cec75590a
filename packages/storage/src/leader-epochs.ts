import { join } from 'node:path';
import { BatchField, crc32c } from '@millrace/protocol';
import { readFully, scanBatches } from './batch-scan.ts';
import { writeFileDurably } from './checkpoint-file.ts';
import type { Fs } from './fs.ts';
import type { Segment } from './segment.ts';

/** Where each leader epoch began in this partition's log (Kafka's leader-epoch-checkpoint). */
export const LEADER_EPOCH_FILE = 'leader-epoch-checkpoint';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

/** Kafka's answer for "no such epoch" and "no such offset". */
const UNDEFINED = -1;

/**
 * The leader epochs of one partition's log and the offset each began at, epochs and offsets both
 * increasing. A follower whose log may have diverged from its leader's finds with them where the
 * two part (KIP-101, KIP-279); consumers ask for the same (KIP-320). Kept durably in
 * `leader-epoch-checkpoint` ("v1", the entries as "epoch offset" lines, then a CRC-32C line).
 * Changes are made in memory, synchronously; `persist` writes them, one write after another.
 */
export class LeaderEpochCache {
  private entries: EpochEntry[];
  private readonly fs: Fs;
  private readonly path: string;
  /** The newest write, failed or not: a caller with nothing new to write still learns how it ended. */
  private lastWrite: Promise<void> = Promise.resolve();
  private writesInFlight = 0;
  private dirty = false;

  private constructor(fs: Fs, dir: string, entries: EpochEntry[]) {
    this.fs = fs;
    this.path = join(dir, LEADER_EPOCH_FILE);
    this.entries = entries;
  }

  /** The stored entries, or null when there is no file (the caller rebuilds them from the log). */
  static async load(fs: Fs, dir: string): Promise<LeaderEpochCache | null> {
    const data = await fs.readFileIfExists(join(dir, LEADER_EPOCH_FILE));
    if (data === null) return null;
    return new LeaderEpochCache(fs, dir, decode(data, join(dir, LEADER_EPOCH_FILE)));
  }

  static empty(fs: Fs, dir: string): LeaderEpochCache {
    return new LeaderEpochCache(fs, dir, []);
  }

  /**
   * The epochs of a log whose checkpoint is missing (written before there was one), from its batch
   * headers. Epochs only grow along a log, so a segment whose first batch has the same epoch as the
   * next segment's first batch holds that epoch alone: only segments where the epoch changes, and
   * the last one, are walked. A single broker's log (epoch 0 throughout) costs one read per segment.
   */
  static async fromSegments(fs: Fs, dir: string, segments: Segment[]): Promise<LeaderEpochCache> {
    const cache = LeaderEpochCache.empty(fs, dir);
    const written = segments.filter((s) => s.written > 0);
    const heads = await Promise.all(written.map((s) => firstBatchEpoch(fs, s)));
    for (let i = 0; i < written.length; i++) {
      const head = heads[i];
      if (head !== null && i + 1 < written.length && head === heads[i + 1]) {
        cache.assign(head, written[i].baseOffset);
        continue;
      }
      await scanBatches(fs, written[i].fd, 0, written[i].written, (buf, at) => {
        cache.assign(buf.readInt32BE(at + BatchField.PARTITION_LEADER_EPOCH), Number(buf.readBigInt64BE(at + BatchField.BASE_OFFSET)));
        return true;
      });
    }
    return cache;
  }

  get latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? UNDEFINED;
  }

  get list(): readonly EpochEntry[] {
    return this.entries;
  }

  /** Where `epoch` began in this log, or -1 if no batch of it is here. */
  epochStartOffset(epoch: number): number {
    return this.entries.find((e) => e.epoch === epoch)?.startOffset ?? UNDEFINED;
  }

  /** Nothing is waiting to be written and no write is under way: a flush need not wait for the cache. */
  get settled(): boolean {
    return !this.dirty && this.writesInFlight === 0;
  }

  /** Records that `epoch` begins at `startOffset`, if it is newer than every known epoch. Returns whether it was. */
  assign(epoch: number, startOffset: number): boolean {
    if (epoch <= this.latestEpoch) return false;
    // A new epoch supersedes any entry that claimed offsets from its start on (a log that was truncated).
    this.entries = this.entries.filter((e) => e.startOffset < startOffset);
    this.entries.push({ epoch, startOffset });
    this.dirty = true;
    return true;
  }

  /**
   * Kafka's `endOffsetFor`: the largest epoch at or below `requested` that this log knows, and the
   * offset where it ends (the start of the next epoch, or the log end for the latest).
   */
  endOffsetFor(requested: number, logEndOffset: number): { epoch: number; endOffset: number } {
    if (requested === UNDEFINED) return { epoch: UNDEFINED, endOffset: UNDEFINED };
    if (requested === this.latestEpoch) return { epoch: requested, endOffset: logEndOffset };
    const higher = this.entries.find((e) => e.epoch > requested);
    if (!higher) return { epoch: UNDEFINED, endOffset: UNDEFINED };
    const floor = this.entries.findLast((e) => e.epoch <= requested);
    return { epoch: floor ? floor.epoch : requested, endOffset: higher.startOffset };
  }

  /** Forgets epochs that began at or after `offset` (the log was cut there). */
  truncateFromEnd(offset: number): void {
    const kept = this.entries.filter((e) => e.startOffset < offset);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    this.dirty = true;
  }

  /**
   * The log start moved to `offset` (retention, DeleteRecords): entries wholly below it go, and the
   * one spanning it now starts there.
   */
  truncateFromStart(offset: number): void {
    const spanning = this.entries.findLastIndex((e) => e.startOffset <= offset);
    if (spanning < 0 || (spanning === 0 && this.entries[0].startOffset === offset)) return;
    this.entries = [{ epoch: this.entries[spanning].epoch, startOffset: offset }, ...this.entries.slice(spanning + 1)];
    this.dirty = true;
  }

  /**
   * Writes the entries if they changed since the last write, after the writes before it (they never
   * overlap, and the last one holds the newest entries). With nothing new, the newest write: it
   * may still be under way for a change another caller made.
   */
  persist(): Promise<void> {
    if (!this.dirty) return this.lastWrite;
    this.dirty = false;
    const data = encode(this.entries);
    this.writesInFlight++;
    const write = this.lastWrite
      .catch(() => undefined)
      .then(() => writeFileDurably(this.fs, this.path, data))
      .finally(() => {
        this.writesInFlight--;
      });
    this.lastWrite = write;
    return write;
  }
}

/** The leader epoch of a segment's first batch (its header is at position 0); null if the file is too short to tell. */
async function firstBatchEpoch(fs: Fs, segment: Segment): Promise<number | null> {
  const head = Buffer.alloc(BatchField.PARTITION_LEADER_EPOCH + 4);
  const got = await readFully(fs, segment.fd, head, head.length, 0);
  return got === head.length ? head.readInt32BE(BatchField.PARTITION_LEADER_EPOCH) : null;
}

function encode(entries: EpochEntry[]): Buffer {
  const body = ['v1', ...entries.map((e) => `${e.epoch} ${e.startOffset}`)].join('\n') + '\n';
  return Buffer.from(`${body}${crc32c(Buffer.from(body))}\n`);
}

function decode(data: Buffer, path: string): EpochEntry[] {
  const text = data.toString('latin1');
  const lines = text.split('\n');
  const crcLine = lines.at(-2) ?? '';
  const body = text.slice(0, text.length - crcLine.length - 1);
  if (lines[0] !== 'v1' || lines.at(-1) !== '' || crc32c(Buffer.from(body, 'latin1')) !== Number(crcLine)) throw new Error(`${path} is damaged (bad format or CRC)`);
  const entries = lines.slice(1, -2).map((line) => {
    const [epoch, startOffset] = line.split(' ').map(Number);
    if (!Number.isInteger(epoch) || !Number.isInteger(startOffset)) throw new Error(`${path} is damaged: "${line}"`);
    return { epoch, startOffset };
  });
  // Entries no writer produces (epochs not increasing, start offsets going back) are damage too.
  const disordered = entries.findIndex((e, i) => e.epoch < 0 || e.startOffset < 0 || (i > 0 && (e.epoch <= entries[i - 1].epoch || e.startOffset < entries[i - 1].startOffset)));
  if (disordered >= 0) throw new Error(`${path} is damaged: entry ${disordered} (epoch ${entries[disordered].epoch} at ${entries[disordered].startOffset}) breaks the order`);
  return entries;
}
