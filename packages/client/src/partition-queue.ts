import { type CompressionCode, encodeRecordBatch, type RecordHeader } from '@millrace/protocol';

/** One record waiting to be sent, and how to tell its sender where it went. */
export interface QueuedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  timestamp: number;
  /** Bytes it adds to a batch, roughly: what batching and back-pressure count. */
  size: number;
  resolve: (offset: number) => void;
  reject: (err: Error) => void;
}

/** A batch on its way: its encoded bytes (resent as they are on a retry, same sequence) and its records. */
export interface InFlightBatch {
  bytes: Buffer;
  records: QueuedRecord[];
  /** When the first attempt was made: the delivery timeout counts from there. */
  firstSentAt: number;
  attempts: number;
}

/**
 * The records of one partition waiting to be sent, and the one batch of it in flight. One batch
 * at a time per partition keeps records in order through retries, as an idempotent producer needs.
 */
export class PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  private records: QueuedRecord[] = [];
  bytes = 0;
  /** When the oldest waiting record arrived (linger.ms counts from it). */
  oldestAt = 0;
  inFlight: InFlightBatch | null = null;
  /** The next base sequence of an idempotent producer. */
  sequence = 0;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  get waiting(): number {
    return this.records.length;
  }

  push(record: QueuedRecord, now: number): void {
    if (this.records.length === 0) this.oldestAt = now;
    this.records.push(record);
    this.bytes += record.size;
  }

  /** Takes up to `maxBytes` of waiting records (at least one) and encodes them as one batch. */
  takeBatch(maxBytes: number, compression: CompressionCode, producer: { id: bigint; epoch: number } | null, transactional: boolean, now: number): InFlightBatch {
    let taken = 0;
    let bytes = 0;
    while (taken < this.records.length && (taken === 0 || bytes + this.records[taken].size <= maxBytes)) bytes += this.records[taken++].size;
    const records = this.records.splice(0, taken);
    this.bytes -= bytes;
    this.oldestAt = now;
    const baseTimestamp = records[0].timestamp;
    const batch = encodeRecordBatch({
      compression,
      attributes: transactional ? 0x10 : 0,
      baseTimestamp,
      producerId: producer?.id ?? -1n,
      producerEpoch: producer?.epoch ?? -1,
      baseSequence: producer ? this.sequence : -1,
      records: records.map((r, i) => ({ key: r.key, value: r.value, headers: r.headers, timestampDelta: r.timestamp - baseTimestamp, offsetDelta: i })),
    });
    if (producer) this.sequence = (this.sequence + records.length) % 0x80000000;
    return { bytes: batch, records, firstSentAt: now, attempts: 0 };
  }

  /** Fails every waiting record (the producer is closing or hit a fatal error). */
  failWaiting(err: Error): QueuedRecord[] {
    const records = this.records.splice(0);
    this.bytes = 0;
    for (const r of records) r.reject(err);
    return records;
  }
}
