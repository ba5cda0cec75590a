import { type CompressionCode, encodeRecordBatch, type RecordHeader } from '@millrace/protocol';
import type { BatchBuffers } from './batch-buffers.ts';
import type { PendingSend } from './pending-send.ts';

/** One record waiting to be sent, and how to tell its sender where it went. */
export interface QueuedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  timestamp: number;
  /** Bytes it adds to a batch, roughly: what batching and back-pressure count. */
  size: number;
  /** When it was queued (linger counts from the oldest waiting record). */
  queuedAt: number;
  /** The `send` call it came from, and its place in that call. */
  send: PendingSend;
  index: number;
}

/** A batch on its way: its encoded bytes (resent as they are on a retry, same sequence) and its records. */
export interface InFlightBatch {
  bytes: Buffer;
  records: QueuedRecord[];
  /** When the first attempt was made: the delivery timeout counts from there. */
  firstSentAt: number;
  attempts: number;
  /** A request carrying it is unanswered. */
  awaiting: boolean;
  /** It failed transiently and must be sent again, after every earlier one of its partition. */
  retry: boolean;
  /** Its base offset once acknowledged (batches are handed back in sequence order, so it may wait for earlier ones). */
  acked: number | null;
  /** The buffer `bytes` is a view of, when it came from a BatchBuffers, to hand back after the acknowledgement. */
  buffer: Buffer | null;
}

/**
 * The records of one partition waiting to be sent, and its batches in flight, oldest first. With
 * idempotence several may be in flight: their sequence numbers let the broker keep them in order,
 * and after a transient failure they are resent one at a time, in order, before anything new.
 */
export class PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  private records: QueuedRecord[] = [];
  bytes = 0;
  /** When the oldest waiting record arrived (linger.ms counts from it). */
  oldestAt = 0;
  readonly inFlight: InFlightBatch[] = [];
  /** A batch failed transiently: nothing new is sent until the failed ones went through again, in order. */
  recovering = false;
  /** The next base sequence, and the producer identity it counts for (a new identity starts at 0). */
  private sequence = 0;
  private sequenceOf: { id: bigint; epoch: number } | null = null;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  get waiting(): number {
    return this.records.length;
  }

  push(record: QueuedRecord): void {
    if (this.records.length === 0) this.oldestAt = record.queuedAt;
    this.records.push(record);
    this.bytes += record.size;
  }

  /** Takes up to `maxBytes` of waiting records (at least one), encodes them as one batch and puts it in flight. */
  takeBatch(maxBytes: number, compression: CompressionCode, producer: { id: bigint; epoch: number } | null, transactional: boolean, now: number, buffers: BatchBuffers | null = null): InFlightBatch {
    let taken = 0;
    let bytes = 0;
    while (taken < this.records.length && (taken === 0 || bytes + this.records[taken].size <= maxBytes)) bytes += this.records[taken++].size;
    const records = this.records.splice(0, taken);
    this.bytes -= bytes;
    this.oldestAt = this.records[0]?.queuedAt ?? now;
    if (producer && (producer.id !== this.sequenceOf?.id || producer.epoch !== this.sequenceOf.epoch)) {
      this.sequenceOf = producer;
      this.sequence = 0;
    }
    const baseTimestamp = records[0].timestamp;
    let buffer: Buffer | null = null;
    const allocate = buffers ? (size: number) => (buffer = buffers.take(size)) : undefined;
    const encoded = encodeRecordBatch({
      compression,
      attributes: transactional ? 0x10 : 0,
      baseTimestamp,
      producerId: producer?.id ?? -1n,
      producerEpoch: producer?.epoch ?? -1,
      baseSequence: producer ? this.sequence : -1,
      records,
    }, allocate);
    if (producer) this.sequence = (this.sequence + records.length) % 0x80000000;
    const batch: InFlightBatch = { bytes: encoded, records, firstSentAt: now, attempts: 0, awaiting: false, retry: false, acked: null, buffer };
    this.inFlight.push(batch);
    return batch;
  }

  /** Removes and returns the acknowledged batches at the head, in sequence order. */
  takeAcknowledged(): InFlightBatch[] {
    let n = 0;
    while (n < this.inFlight.length && this.inFlight[n].acked !== null) n++;
    return this.inFlight.splice(0, n);
  }

  /** Fails every waiting record (the producer is closing or hit a fatal error). */
  failWaiting(err: Error): QueuedRecord[] {
    const records = this.records.splice(0);
    this.bytes = 0;
    for (const r of records) r.send.failed(err);
    return records;
  }
}
