import { Attribute, type BatchHeader, crc32c } from '@millrace/protocol';

/** Batches remembered per producer: Kafka's clients keep at most 5 requests in flight per partition. */
const REMEMBERED_BATCHES = 5;
const INT32_MAX = 0x7fffffff;
const NO_SEQUENCE = -1;

/** One batch a producer wrote: its sequence range and the offsets it got. */
export interface ProducedBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
  lastOffset: number;
}

export interface ProducerEntry {
  producerId: number;
  epoch: number;
  /** The newest batches, oldest first. */
  batches: ProducedBatch[];
  /** The largest timestamp of its newest batch: producer.id.expiration.ms counts from it. */
  lastTimestamp: number;
  /** The first offset of its open transaction in this partition, or -1: the last stable offset cannot pass it. */
  txnFirstOffset: number;
}

/** An aborted transaction's range in this partition: READ_COMMITTED consumers skip its batches. */
export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
  /** The offset of its abort marker. */
  lastOffset: number;
}

/** Why a batch of an idempotent producer cannot be appended; `code` is the Kafka error name. */
export class ProducerSequenceError extends Error {
  readonly code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'INVALID_PRODUCER_EPOCH' | 'UNKNOWN_PRODUCER_ID';
  constructor(code: ProducerSequenceError['code'], message: string) {
    super(message);
    this.name = 'ProducerSequenceError';
    this.code = code;
  }
}

/** What to do with a batch: append it, or answer with the offsets its first copy got. */
export type SequenceCheck = { duplicate: false } | { duplicate: true; baseOffset: number; lastOffset: number };

function lastSequence(header: BatchHeader): number {
  const last = header.baseSequence + header.lastOffsetDelta;
  // Sequences wrap from INT32_MAX to 0.
  return last > INT32_MAX ? last - INT32_MAX - 1 : last;
}

function nextSequence(seq: number): number {
  return seq === INT32_MAX ? 0 : seq + 1;
}

/**
 * The idempotence state of one partition: for each producer id its epoch and the sequence numbers
 * and offsets of its last 5 batches. A retried batch is recognised and answered with its first
 * offsets instead of being written twice; a gap in sequences or an old epoch is refused.
 */
export class ProducerState {
  private readonly producers = new Map<number, ProducerEntry>();
  /** Aborted transactions, by the offset of their markers. */
  private aborted: AbortedTransaction[] = [];

  get size(): number {
    return this.producers.size;
  }

  entry(producerId: number): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  entries(): ProducerEntry[] {
    return [...this.producers.values()];
  }

  /** Checks a batch of an idempotent producer (producerId >= 0) before it is appended. */
  check(header: BatchHeader): SequenceCheck {
    const producerId = Number(header.producerId);
    const entry = this.producers.get(producerId);
    const firstSeq = header.baseSequence;
    if (firstSeq === NO_SEQUENCE) {
      // The broker's own transactional writes (TxnOffsetCommit) carry no sequence: only the epoch is checked.
      if (entry && header.producerEpoch < entry.epoch) throw new ProducerSequenceError('INVALID_PRODUCER_EPOCH', `producer ${producerId} epoch ${header.producerEpoch} is older than its current epoch ${entry.epoch}`);
      return { duplicate: false };
    }
    if (!entry) {
      if (firstSeq !== 0) throw new ProducerSequenceError('UNKNOWN_PRODUCER_ID', `producer ${producerId} is unknown here and its batch starts at sequence ${firstSeq}, not 0`);
      return { duplicate: false };
    }
    if (header.producerEpoch < entry.epoch) {
      throw new ProducerSequenceError('INVALID_PRODUCER_EPOCH', `producer ${producerId} epoch ${header.producerEpoch} is older than its current epoch ${entry.epoch}`);
    }
    if (header.producerEpoch > entry.epoch) {
      if (firstSeq !== 0) throw new ProducerSequenceError('OUT_OF_ORDER_SEQUENCE_NUMBER', `producer ${producerId} starts epoch ${header.producerEpoch} at sequence ${firstSeq}, not 0`);
      return { duplicate: false };
    }
    const lastSeq = lastSequence(header);
    const same = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    if (same) return { duplicate: true, baseOffset: same.baseOffset, lastOffset: same.lastOffset };
    const newest = entry.batches.at(-1);
    const expected = newest ? nextSequence(newest.lastSeq) : 0;
    if (firstSeq !== expected) {
      throw new ProducerSequenceError('OUT_OF_ORDER_SEQUENCE_NUMBER', `producer ${producerId} epoch ${entry.epoch} sent sequence ${firstSeq}, expected ${expected}`);
    }
    return { duplicate: false };
  }

  /** Records an appended batch (also used to rebuild the state from the log on recovery). */
  update(header: BatchHeader, baseOffset: number): void {
    const producerId = Number(header.producerId);
    let entry = this.producers.get(producerId);
    if (!entry || header.producerEpoch > entry.epoch) {
      entry = { producerId, epoch: header.producerEpoch, batches: [], lastTimestamp: -1, txnFirstOffset: entry?.txnFirstOffset ?? -1 };
      this.producers.set(producerId, entry);
    }
    if (header.baseSequence !== NO_SEQUENCE) {
      entry.batches.push({ firstSeq: header.baseSequence, lastSeq: lastSequence(header), baseOffset, lastOffset: baseOffset + header.lastOffsetDelta });
      if (entry.batches.length > REMEMBERED_BATCHES) entry.batches.shift();
    }
    entry.lastTimestamp = Math.max(entry.lastTimestamp, header.maxTimestamp);
    if ((header.attributes & Attribute.TRANSACTIONAL) !== 0 && entry.txnFirstOffset < 0) entry.txnFirstOffset = baseOffset;
  }

  /**
   * Throws unless a transaction marker of `epoch` may be written for the producer: the coordinator
   * writes them with the producer's current epoch, never an older one.
   */
  checkMarker(producerId: number, epoch: number): void {
    const entry = this.producers.get(producerId);
    if (entry && epoch < entry.epoch) throw new ProducerSequenceError('INVALID_PRODUCER_EPOCH', `transaction marker for producer ${producerId} has epoch ${epoch}, older than ${entry.epoch}`);
  }

  /** Records a commit or abort marker written at `markerOffset`: the producer's open transaction here ends. */
  endTransaction(producerId: number, epoch: number, markerOffset: number, committed: boolean, timestamp: number): void {
    let entry = this.producers.get(producerId);
    if (!entry) {
      entry = { producerId, epoch, batches: [], lastTimestamp: timestamp, txnFirstOffset: -1 };
      this.producers.set(producerId, entry);
    }
    if (epoch > entry.epoch) {
      // A bumped epoch (the transaction timed out, or a new producer took the transactional id): the old sequences are over.
      entry.epoch = epoch;
      entry.batches = [];
    }
    if (!committed && entry.txnFirstOffset >= 0) this.aborted.push({ producerId, firstOffset: entry.txnFirstOffset, lastOffset: markerOffset });
    entry.txnFirstOffset = -1;
    entry.lastTimestamp = Math.max(entry.lastTimestamp, timestamp);
  }

  /** The smallest first offset of an open transaction, or null when none is open. */
  firstUnstableOffset(): number | null {
    let first: number | null = null;
    for (const entry of this.producers.values()) if (entry.txnFirstOffset >= 0 && (first === null || entry.txnFirstOffset < first)) first = entry.txnFirstOffset;
    return first;
  }

  /** Aborted transactions with data in [from, to): what a READ_COMMITTED fetch of that range must skip. */
  abortedBetween(from: number, to: number): AbortedTransaction[] {
    return this.aborted.filter((a) => a.lastOffset >= from && a.firstOffset < to);
  }

  /** The batch at `offset` of a producer belongs to a transaction that was aborted. */
  isAborted(producerId: number, offset: number): boolean {
    return this.aborted.some((a) => a.producerId === producerId && a.firstOffset <= offset && offset < a.lastOffset);
  }

  /** Forgets aborted transactions wholly below the log start offset. */
  pruneAborted(logStartOffset: number): void {
    this.aborted = this.aborted.filter((a) => a.lastOffset >= logStartOffset);
  }

  /** Forgets producers silent for longer than producer.id.expiration.ms; returns how many. */
  expire(now: number, expirationMs: number): number {
    let removed = 0;
    for (const [id, entry] of this.producers) {
      if (entry.lastTimestamp < now - expirationMs && entry.txnFirstOffset < 0) {
        this.producers.delete(id);
        removed++;
      }
    }
    return removed;
  }

  /**
   * The state as a snapshot file: "MRPS", version 2, the offset it is valid at, the producers, the
   * aborted transactions, and a CRC-32C of everything before it.
   */
  encode(offset: number): Buffer {
    const entries = [...this.producers.values()];
    const size = 4 + 2 + 8 + 4 + entries.reduce((n, e) => n + 8 + 2 + 8 + 8 + 1 + e.batches.length * 24, 0) + 4 + this.aborted.length * 24 + 4;
    const buf = Buffer.alloc(size);
    let at = buf.write('MRPS', 0, 'latin1');
    at = buf.writeInt16BE(2, at);
    at = buf.writeBigInt64BE(BigInt(offset), at);
    at = buf.writeInt32BE(entries.length, at);
    for (const e of entries) {
      at = buf.writeBigInt64BE(BigInt(e.producerId), at);
      at = buf.writeInt16BE(e.epoch, at);
      at = buf.writeBigInt64BE(BigInt(e.lastTimestamp), at);
      at = buf.writeBigInt64BE(BigInt(e.txnFirstOffset), at);
      at = buf.writeInt8(e.batches.length, at);
      for (const b of e.batches) {
        at = buf.writeInt32BE(b.firstSeq, at);
        at = buf.writeInt32BE(b.lastSeq, at);
        at = buf.writeBigInt64BE(BigInt(b.baseOffset), at);
        at = buf.writeBigInt64BE(BigInt(b.lastOffset), at);
      }
    }
    at = buf.writeInt32BE(this.aborted.length, at);
    for (const a of this.aborted) {
      at = buf.writeBigInt64BE(BigInt(a.producerId), at);
      at = buf.writeBigInt64BE(BigInt(a.firstOffset), at);
      at = buf.writeBigInt64BE(BigInt(a.lastOffset), at);
    }
    buf.writeUInt32BE(crc32c(buf.subarray(0, at)), at);
    return buf;
  }

  /** Reads a snapshot; null if it is damaged or of another version (the caller rebuilds from the log). */
  static decode(buf: Buffer): { state: ProducerState; offset: number } | null {
    try {
      if (buf.length < 26 || buf.toString('latin1', 0, 4) !== 'MRPS' || buf.readInt16BE(4) !== 2) return null;
      if (crc32c(buf.subarray(0, buf.length - 4)) !== buf.readUInt32BE(buf.length - 4)) return null;
      const offset = Number(buf.readBigInt64BE(6));
      const count = buf.readInt32BE(14);
      const state = new ProducerState();
      let at = 18;
      for (let i = 0; i < count; i++) {
        const producerId = Number(buf.readBigInt64BE(at));
        const epoch = buf.readInt16BE(at + 8);
        const lastTimestamp = Number(buf.readBigInt64BE(at + 10));
        const txnFirstOffset = Number(buf.readBigInt64BE(at + 18));
        const n = buf.readInt8(at + 26);
        at += 27;
        const batches: ProducedBatch[] = [];
        for (let j = 0; j < n; j++, at += 24) {
          batches.push({ firstSeq: buf.readInt32BE(at), lastSeq: buf.readInt32BE(at + 4), baseOffset: Number(buf.readBigInt64BE(at + 8)), lastOffset: Number(buf.readBigInt64BE(at + 16)) });
        }
        state.producers.set(producerId, { producerId, epoch, batches, lastTimestamp, txnFirstOffset });
      }
      const aborted = buf.readInt32BE(at);
      at += 4;
      for (let i = 0; i < aborted; i++, at += 24) {
        state.aborted.push({ producerId: Number(buf.readBigInt64BE(at)), firstOffset: Number(buf.readBigInt64BE(at + 8)), lastOffset: Number(buf.readBigInt64BE(at + 16)) });
      }
      return at === buf.length - 4 ? { state, offset } : null;
    } catch {
      return null;
    }
  }
}
