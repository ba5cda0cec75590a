import { join } from 'node:path';
import { crc32c } from '@millrace/protocol';
import { writeFileDurably } from './checkpoint-file.ts';
import type { Fs } from './fs.ts';

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
 */
export class LeaderEpochCache {
  private entries: EpochEntry[];
  private readonly fs: Fs;
  private readonly path: string;
  private writes: Promise<void> = Promise.resolve();
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

  get latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? UNDEFINED;
  }

  get list(): readonly EpochEntry[] {
    return this.entries;
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

  /** Writes the entries if they changed since the last write; writes never overlap. */
  persist(): Promise<void> {
    if (!this.dirty) return this.writes;
    this.dirty = false;
    const data = encode(this.entries);
    const write = this.writes.then(() => writeFileDurably(this.fs, this.path, data));
    this.writes = write.catch(() => undefined);
    return write;
  }
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
  return lines.slice(1, -2).map((line) => {
    const [epoch, startOffset] = line.split(' ').map(Number);
    if (!Number.isInteger(epoch) || !Number.isInteger(startOffset)) throw new Error(`${path} is damaged: "${line}"`);
    return { epoch, startOffset };
  });
}
