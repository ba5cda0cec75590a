import { type BatchHeader, crc32c } from '@millrace/protocol';

/** Batches remembered per producer: Kafka's clients keep at most 5 requests in flight per partition. */
const REMEMBERED_BATCHES = 5;
const INT32_MAX = 0x7fffffff;

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

  get size(): number {
    return this.producers.size;
  }

  entry(producerId: number): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /** Checks a batch of an idempotent producer (producerId >= 0) before it is appended. */
  check(header: BatchHeader): SequenceCheck {
    const producerId = Number(header.producerId);
    const entry = this.producers.get(producerId);
    const firstSeq = header.baseSequence;
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
      entry = { producerId, epoch: header.producerEpoch, batches: [], lastTimestamp: -1 };
      this.producers.set(producerId, entry);
    }
    entry.batches.push({ firstSeq: header.baseSequence, lastSeq: lastSequence(header), baseOffset, lastOffset: baseOffset + header.lastOffsetDelta });
    if (entry.batches.length > REMEMBERED_BATCHES) entry.batches.shift();
    entry.lastTimestamp = Math.max(entry.lastTimestamp, header.maxTimestamp);
  }

  /** Forgets producers silent for longer than producer.id.expiration.ms; returns how many. */
  expire(now: number, expirationMs: number): number {
    let removed = 0;
    for (const [id, entry] of this.producers) {
      if (entry.lastTimestamp < now - expirationMs) {
        this.producers.delete(id);
        removed++;
      }
    }
    return removed;
  }

  /**
   * The state as a snapshot file: "MRPS", version 1, the offset it is valid at, the entries, and a
   * CRC-32C of everything before it.
   */
  encode(offset: number): Buffer {
    const entries = [...this.producers.values()];
    const size = 4 + 2 + 8 + 4 + entries.reduce((n, e) => n + 8 + 2 + 8 + 1 + e.batches.length * 24, 0) + 4;
    const buf = Buffer.alloc(size);
    let at = buf.write('MRPS', 0, 'latin1');
    at = buf.writeInt16BE(1, at);
    at = buf.writeBigInt64BE(BigInt(offset), at);
    at = buf.writeInt32BE(entries.length, at);
    for (const e of entries) {
      at = buf.writeBigInt64BE(BigInt(e.producerId), at);
      at = buf.writeInt16BE(e.epoch, at);
      at = buf.writeBigInt64BE(BigInt(e.lastTimestamp), at);
      at = buf.writeInt8(e.batches.length, at);
      for (const b of e.batches) {
        at = buf.writeInt32BE(b.firstSeq, at);
        at = buf.writeInt32BE(b.lastSeq, at);
        at = buf.writeBigInt64BE(BigInt(b.baseOffset), at);
        at = buf.writeBigInt64BE(BigInt(b.lastOffset), at);
      }
    }
    buf.writeUInt32BE(crc32c(buf.subarray(0, at)), at);
    return buf;
  }

  /** Reads a snapshot; null if it is damaged or of an unknown version (the caller rebuilds from the log). */
  static decode(buf: Buffer): { state: ProducerState; offset: number } | null {
    try {
      if (buf.length < 22 || buf.toString('latin1', 0, 4) !== 'MRPS' || buf.readInt16BE(4) !== 1) return null;
      if (crc32c(buf.subarray(0, buf.length - 4)) !== buf.readUInt32BE(buf.length - 4)) return null;
      const offset = Number(buf.readBigInt64BE(6));
      const count = buf.readInt32BE(14);
      const state = new ProducerState();
      let at = 18;
      for (let i = 0; i < count; i++) {
        const producerId = Number(buf.readBigInt64BE(at));
        const epoch = buf.readInt16BE(at + 8);
        const lastTimestamp = Number(buf.readBigInt64BE(at + 10));
        const n = buf.readInt8(at + 18);
        at += 19;
        const batches: ProducedBatch[] = [];
        for (let j = 0; j < n; j++, at += 24) {
          batches.push({ firstSeq: buf.readInt32BE(at), lastSeq: buf.readInt32BE(at + 4), baseOffset: Number(buf.readBigInt64BE(at + 8)), lastOffset: Number(buf.readBigInt64BE(at + 16)) });
        }
        state.producers.set(producerId, { producerId, epoch, batches, lastTimestamp });
      }
      return at === buf.length - 4 ? { state, offset } : null;
    } catch {
      return null;
    }
  }
}
