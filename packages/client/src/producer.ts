import {
  ApiKey, Compression, type CompressionCode, createInitProducerIdRequest, createProduceRequest, createProduceRequestPartitionProduceData,
  createProduceRequestTopicProduceData, ErrorCode, type InitProducerIdResponse, type ProduceRequest, type ProduceResponse, type RecordHeader,
} from '@millrace/protocol';
import { BatchBuffers } from './batch-buffers.ts';
import { Cluster, type ClusterOptions, isTransient, type PartitionInfo } from './cluster.ts';
import type { ConsumerGroupMetadata } from './consumer.ts';
import { ClientError, KafkaError } from './errors.ts';
import type { TopicPartitionOffset } from './offsets.ts';
import { type InFlightBatch, PartitionQueue, type QueuedRecord } from './partition-queue.ts';
import { PendingSend } from './pending-send.ts';
import { partitionForKey, StickyPartitioner } from './partitioner.ts';
import { byTopic, type TopicPartition } from './topic-partitions.ts';
import { INIT_PRODUCER_ID_VERSIONS, type ProducerIdentity, Transactions } from './transactions.ts';

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface ProducerOptions extends ClusterOptions {
  /** -1 (all, the default): acknowledged once durable; 1: once the leader has it; 0: no answer at all. */
  acks?: -1 | 0 | 1;
  /** Default true: retries never duplicate or reorder records (needs acks -1). */
  idempotent?: boolean;
  /**
   * How long a partition's first waiting record waits for more to fill its batch. Default 0: a
   * batch leaves as soon as its partition has room in flight, and under load records gather while
   * the partition's 5 batches are in flight (measured faster than 5 ms both for a few awaited sends
   * at a time and for many).
   */
  lingerMs?: number;
  /** Largest batch per partition. Default 1 MiB. */
  batchBytes?: number;
  /** Records waiting to be sent, in bytes, before `send` waits for room. Default 64 MiB. */
  bufferBytes?: number;
  compression?: CompressionName;
  /** How long a record may take from `send` to acknowledgement, retries included. Default 120 s. */
  deliveryTimeoutMs?: number;
  /** Pause before a retry, doubled up to 1 s. Default 100 ms. */
  retryBackoffMs?: number;
  /** Ask the broker to create topics that do not exist (if it allows). Default true. */
  autoCreateTopics?: boolean;
  /**
   * Makes this a transactional producer: records are sent inside `beginTransaction` ...
   * `commitTransaction`, and a newer producer with the same id fences this one.
   */
  transactionalId?: string;
  /** How long the broker lets a transaction stay open before aborting it. Default 60 s. */
  transactionTimeoutMs?: number;
}

export type Bytes = Buffer | string;

export interface Message {
  key?: Bytes | null;
  value: Bytes | null;
  /**
   * By name, or as a list: Kafka's headers are a list, where a key may repeat and a value may be
   * null, and the list form keeps both (and the order).
   */
  headers?: Record<string, Bytes | null> | MessageHeader[];
  /** Where to send it; by default the key's murmur2 hash, or the sticky partition for keyless records. */
  partition?: number;
  /** Milliseconds since the epoch; default now. */
  timestamp?: number;
}

export interface MessageHeader {
  key: string;
  value: Bytes | null;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 with acks=0, which gets no answer. */
  offset: number;
}

const CODECS: Record<CompressionName, CompressionCode> = { none: Compression.NONE, gzip: Compression.GZIP, snappy: Compression.SNAPPY, lz4: Compression.LZ4, zstd: Compression.ZSTD };
/** Produce v3 is the first with RecordBatch v2; v11 the newest before KIP-890's v12. */
const PRODUCE_VERSIONS = [3, 11] as const;
/** What a broker answers a batch whose sequence does not follow the last one it has. */
const SEQUENCE_GAP = new Set<number>([ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, ErrorCode.UNKNOWN_PRODUCER_ID]);
/** Batches in flight per partition for an idempotent producer, as Java's max.in.flight.requests.per.connection. */
const MAX_IN_FLIGHT_PER_PARTITION = 5;
/** Per-record overhead beyond key, value and headers, for sizing batches. */
const RECORD_OVERHEAD = 24;
const NO_HEADERS: RecordHeader[] = [];
/** At most this much memory of encoded batches is kept for reuse. */
const BATCH_BUFFERS_KEPT_BYTES = 16 << 20;

function toBuffer(value: Bytes | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

function recordHeaders(headers: Message['headers']): RecordHeader[] {
  if (!headers) return NO_HEADERS;
  if (Array.isArray(headers)) return headers.map((h) => ({ key: h.key, value: toBuffer(h.value) }));
  return Object.entries(headers).map(([key, value]) => ({ key, value: toBuffer(value) }));
}

/** The records of one `send` as they wait in a queue: bytes taken from the messages when `send` is called. */
function queuedRecords(messages: Message[], send: PendingSend, now: number): QueuedRecord[] {
  return messages.map((message, index) => {
    const key = toBuffer(message.key);
    const value = toBuffer(message.value);
    const headers = recordHeaders(message.headers);
    let size = (key?.length ?? 0) + (value?.length ?? 0) + RECORD_OVERHEAD;
    for (const h of headers) size += h.key.length + (h.value?.length ?? 0);
    return { key, value, headers, timestamp: message.timestamp ?? now, size, queuedAt: now, send, index };
  });
}

/** The error for a message asking for a partition `topic` does not have, or null. */
function partitionProblem(topic: string, partitions: PartitionInfo[], messages: Message[]): ClientError | null {
  for (const { partition } of messages) {
    if (partition !== undefined && (partition < 0 || partition >= partitions.length)) {
      return new ClientError('MILLRACE_INVALID_ARGUMENT', `${topic} has ${partitions.length} partitions; there is no partition ${partition}`);
    }
  }
  return null;
}

/** One Produce request carrying an encoded batch for each partition. */
export function produceRequest(transactionalId: string | null, acks: -1 | 0 | 1, timeoutMs: number, batches: (TopicPartition & { records: Buffer })[]): ProduceRequest {
  return createProduceRequest({
    transactionalId, acks, timeoutMs,
    topicData: [...byTopic(batches)].map(([name, bs]) =>
      createProduceRequestTopicProduceData({ name, partitionData: bs.map((b) => createProduceRequestPartitionProduceData({ index: b.partition, records: b.records })) })),
  });
}

/** A batch on its way, and the partition it belongs to. */
interface Sending {
  queue: PartitionQueue;
  batch: InFlightBatch;
}

/**
 * A Kafka producer: records are batched per partition (lingerMs, batchBytes), compressed, and sent
 * to each partition's leader, one batch in flight per partition so that retries keep order. With
 * idempotence (the default) the broker recognises a retried batch and never writes it twice.
 * `send` resolves with each record's offset once the broker acknowledged it.
 */
export class Producer {
  private readonly cluster: Cluster;
  private readonly acks: -1 | 0 | 1;
  private readonly idempotent: boolean;
  private readonly lingerMs: number;
  private readonly batchBytes: number;
  private readonly bufferBytes: number;
  private readonly codec: CompressionCode;
  private readonly deliveryTimeoutMs: number;
  private readonly retryBackoffMs: number;
  private readonly autoCreate: boolean;
  private readonly queues = new Map<string, PartitionQueue>();
  private readonly sticky = new StickyPartitioner();
  /** Batch buffers used again; none with acks=0, where nothing says when a request's bytes were written. */
  private readonly batchBuffers: BatchBuffers | null;
  private buffered = 0;
  private roomWaiters: (() => void)[] = [];
  private lingerTimer: NodeJS.Timeout | null = null;
  private draining = false;
  /** A drain was asked for while one ran: run once more when it ends. */
  private drainAgain = false;
  /** A drain is queued as a microtask: asking again adds nothing. */
  private drainQueued = false;
  private flushing = 0;
  private idle: (() => void)[] = [];
  private producerId: Promise<ProducerIdentity> | null = null;
  /** What `producerId` resolved to, for the paths that need not wait: null until then, and after a reset. */
  private identity: ProducerIdentity | null = null;
  private readonly transactions: Transactions | null;
  /** The enqueue step of the last `send`: each waits for the one before, which keeps the call order. */
  private enqueueing: Promise<void> = Promise.resolve();
  /** `send` calls whose enqueue step has not run yet: while any waits, later ones wait behind it. */
  private enqueuesWaiting = 0;
  private closed = false;

  constructor(options: ProducerOptions) {
    this.cluster = new Cluster(options);
    this.acks = options.acks ?? -1;
    this.idempotent = options.idempotent ?? this.acks === -1;
    if (this.idempotent && this.acks !== -1) throw new ClientError('MILLRACE_INVALID_ARGUMENT', 'an idempotent producer needs acks -1 (all)');
    this.transactions = null;
    if (options.transactionalId !== undefined) {
      if (!this.idempotent) throw new ClientError('MILLRACE_INVALID_ARGUMENT', 'a transactional producer is idempotent: it needs acks -1 and idempotent true');
      this.transactions = new Transactions(this.cluster, options.transactionalId, options.transactionTimeoutMs ?? 60_000);
    }
    this.batchBuffers = this.acks === 0 ? null : new BatchBuffers(BATCH_BUFFERS_KEPT_BYTES);
    this.lingerMs = options.lingerMs ?? 0;
    this.batchBytes = options.batchBytes ?? 1 << 20;
    this.bufferBytes = options.bufferBytes ?? 64 << 20;
    this.codec = CODECS[options.compression ?? 'none'];
    if (this.codec === undefined) throw new ClientError('MILLRACE_INVALID_ARGUMENT', `unknown compression "${options.compression}"`);
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? 120_000;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
    this.autoCreate = options.autoCreateTopics ?? true;
  }

  /**
   * Sends records to `topic`; resolves with where each one was written. Records of one partition
   * are written in the order of the `send` calls, even while earlier calls still wait for metadata.
   */
  send(topic: string, messages: Message[]): Promise<RecordMetadata[]> {
    if (this.closed) return Promise.reject(new ClientError('MILLRACE_CLIENT_CLOSED', 'the producer is closed'));
    try {
      this.transactions?.checkSendable();
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const pending = new PendingSend(topic, messages.length);
    let records: QueuedRecord[];
    try {
      records = queuedRecords(messages, pending, Date.now());
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (this.enqueuesWaiting === 0 && this.enqueueNow(topic, messages, records, pending)) return pending.promise;
    this.enqueuesWaiting++;
    this.enqueueing = this.enqueueing
      .then(() => this.enqueue(topic, messages, records))
      .catch((err: Error) => pending.failed(err))
      .finally(() => this.enqueuesWaiting--);
    return pending.promise;
  }

  /**
   * Queues a send at once, without a promise in the way, when nothing needs waiting for: the
   * topic's partitions and the producer id are known, no earlier send is still waiting, and the
   * buffer has room. Returns false, having queued nothing, when the send must wait its turn.
   */
  private enqueueNow(topic: string, messages: Message[], records: QueuedRecord[], send: PendingSend): boolean {
    const partitions = this.cluster.knownPartitions(topic);
    if (!partitions || (this.idempotent && (this.transactions !== null || this.identity === null))) return false;
    let size = 0;
    for (const r of records) size += r.size;
    if (this.buffered > 0 && this.buffered + size > this.bufferBytes) return false;
    const problem = partitionProblem(topic, partitions, messages);
    if (problem) {
      send.failed(problem);
      return true;
    }
    for (let i = 0; i < records.length; i++) this.place(topic, partitions, messages[i], records[i]);
    this.scheduleDrain(this.lingerMs);
    return true;
  }

  /** Puts the records in their partitions' queues, once metadata, the producer id and buffer room allow. */
  private async enqueue(topic: string, messages: Message[], records: QueuedRecord[]): Promise<void> {
    const partitions = await this.cluster.topicPartitions(topic, this.autoCreate);
    const problem = partitionProblem(topic, partitions, messages);
    if (problem) throw problem;
    if (this.idempotent) await this.ensureProducerId();
    for (let i = 0; i < records.length; i++) {
      const { size } = records[i];
      while (this.buffered + size > this.bufferBytes && this.buffered > 0) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      this.place(topic, partitions, messages[i], records[i]);
    }
    this.scheduleDrain(this.lingerMs);
  }

  /** Queues one record in its partition (given and checked, by key, or sticky) and counts it in the buffer. */
  private place(topic: string, partitions: PartitionInfo[], message: Message, record: QueuedRecord): void {
    const partition = message.partition ?? (record.key ? partitionForKey(record.key, partitions.length) : this.sticky.partition(topic, partitions.length));
    const queue = this.queue(topic, partition);
    queue.push(record);
    this.buffered += record.size;
    if (queue.bytes >= this.batchBytes) this.scheduleDrain(0);
  }

  /** Sends everything waiting now, and resolves once every record sent so far is acknowledged or failed. */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      // Records of a `send` still waiting for metadata belong to "sent so far" too.
      await this.enqueueing;
      this.scheduleDrain(0);
      while (this.busy()) await new Promise<void>((resolve) => this.idle.push(resolve));
    } finally {
      this.flushing--;
    }
  }

  /**
   * Opens a transaction (the first call also fences any older producer with this transactional
   * id). Records sent until `commitTransaction` become visible to read_committed consumers together,
   * or, after `abortTransaction`, never.
   */
  async beginTransaction(): Promise<void> {
    this.ensureOpen();
    await this.requireTransactions().begin();
  }

  /**
   * Commits consumed offsets with the open transaction, for consume-transform-produce pipelines:
   * `offsets` (each the next offset to read) count for the consumer's group only if it commits.
   */
  async sendOffsets(offsets: TopicPartitionOffset[], group: ConsumerGroupMetadata): Promise<void> {
    this.ensureOpen();
    await this.requireTransactions().sendOffsets(offsets, group);
  }

  /**
   * Sends what is waiting, then commits the transaction. If a record of it failed, this throws and
   * the transaction can only be aborted.
   */
  async commitTransaction(): Promise<void> {
    this.ensureOpen();
    const transactions = this.requireTransactions();
    await this.flush();
    await transactions.end(true);
  }

  /** Drops the records not sent yet (their `send` fails), waits for those in flight, then aborts the transaction. */
  async abortTransaction(): Promise<void> {
    this.ensureOpen();
    const transactions = this.requireTransactions();
    if (!transactions.inTransaction) return transactions.end(false);
    await this.enqueueing;
    const aborted = new ClientError('MILLRACE_TRANSACTION_STATE', 'the transaction was aborted before this record was sent');
    for (const queue of this.queues.values()) this.release(queue.failWaiting(aborted));
    await this.flush();
    await transactions.end(false);
  }

  /** Flushes (aborting an open transaction), then closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.transactions?.inTransaction) await this.abortTransaction().catch(() => undefined);
    await this.flush();
    this.closed = true;
    this.cluster.close();
  }

  private ensureOpen(): void {
    if (this.closed) throw new ClientError('MILLRACE_CLIENT_CLOSED', 'the producer is closed');
  }

  private requireTransactions(): Transactions {
    if (!this.transactions) throw new ClientError('MILLRACE_INVALID_ARGUMENT', 'transactions need a producer created with a transactionalId');
    return this.transactions;
  }

  private busy(): boolean {
    for (const q of this.queues.values()) if (q.waiting > 0 || q.inFlight.length > 0) return true;
    return false;
  }

  private queue(topic: string, partition: number): PartitionQueue {
    const key = `${topic}\u0000${partition}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new PartitionQueue(topic, partition);
      this.queues.set(key, queue);
    }
    return queue;
  }

  private ensureProducerId(): Promise<ProducerIdentity> {
    if (this.transactions) return this.transactions.init();
    this.producerId ??= this.cluster.retrying(async () => {
      const { response } = await this.cluster.send<InitProducerIdResponse>(null, ApiKey.InitProducerId, INIT_PRODUCER_ID_VERSIONS, () => createInitProducerIdRequest({ transactionalId: null, transactionTimeoutMs: 60_000 }));
      if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, { api: 'InitProducerId' });
      return { id: response.producerId, epoch: response.producerEpoch };
    });
    const asked = this.producerId;
    asked.then(
      (identity) => {
        if (this.producerId === asked) this.identity = identity;
      },
      () => {
        if (this.producerId === asked) this.producerId = null;
      },
    );
    return asked;
  }

  private scheduleDrain(delayMs: number): void {
    if (delayMs === 0) {
      if (this.lingerTimer) clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
      if (this.drainQueued) return;
      this.drainQueued = true;
      queueMicrotask(() => {
        this.drainQueued = false;
        void this.drain();
      });
      return;
    }
    this.lingerTimer ??= setTimeout(() => {
      this.lingerTimer = null;
      void this.drain();
    }, delayMs);
  }

  /**
   * Sends one batch from every partition that is ready (full, lingered long enough, or flushing) and
   * has room in flight: up to 5 batches with idempotence (sequence numbers keep them in order), else 1.
   */
  private async drain(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    this.drainAgain = false;
    try {
      const now = Date.now();
      let lingering = false;
      const ready: PartitionQueue[] = [];
      for (const queue of this.queues.values()) {
        if (!this.hasRoom(queue)) continue;
        if (this.flushing > 0 || queue.bytes >= this.batchBytes || now - queue.oldestAt >= this.lingerMs) ready.push(queue);
        else lingering = true;
      }
      if (lingering) this.scheduleDrain(this.lingerMs);
      if (ready.length === 0) return;
      const producer = !this.idempotent ? null : (this.identity ?? (await this.ensureProducerId()));
      const byLeader = new Map<number, Sending[]>();
      if (this.transactions) await this.addToTransaction(ready);
      for (const queue of ready) {
        // Records may have been failed while this drain waited (an aborted transaction).
        if (!this.hasRoom(queue)) continue;
        const partitions = this.cluster.knownPartitions(queue.topic) ?? (await this.cluster.topicPartitions(queue.topic, this.autoCreate).catch(() => null));
        const leader = partitions?.[queue.partition]?.leader ?? -1;
        const batch = queue.takeBatch(this.batchBytes, this.codec, producer, this.transactions !== null, now, this.batchBuffers);
        this.sticky.batchSent(queue.topic, queue.partition, partitions?.length ?? 1);
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), { queue, batch }]);
      }
      for (const [leader, sending] of byLeader) void this.sendTo(leader, sending);
    } catch (err) {
      for (const queue of this.queues.values()) this.release(queue.failWaiting(err as Error));
    } finally {
      this.draining = false;
      if (this.drainAgain) queueMicrotask(() => void this.drain());
    }
  }

  private hasRoom(queue: PartitionQueue): boolean {
    return queue.waiting > 0 && !queue.recovering && queue.inFlight.length < (this.idempotent ? MAX_IN_FLIGHT_PER_PARTITION : 1);
  }

  /** A batch may go only to a partition the open transaction has: adds them first; if that fails, their records fail. */
  private async addToTransaction(queues: PartitionQueue[]): Promise<void> {
    try {
      await this.transactions!.addPartitions(queues.map((q) => ({ topic: q.topic, partition: q.partition })));
    } catch (err) {
      for (const queue of queues) this.release(queue.failWaiting(err as Error));
    }
  }

  /** One Produce request with one batch of each partition, all led by `leader`. */
  private async sendTo(leader: number, sending: Sending[]): Promise<void> {
    for (const { batch } of sending) {
      batch.attempts++;
      batch.awaiting = true;
    }
    const request = produceRequest(this.transactions?.transactionalId ?? null, this.acks, this.cluster.requestTimeoutMs, sending.map(({ queue, batch }) => ({ topic: queue.topic, partition: queue.partition, records: batch.bytes })));
    const body = () => request;
    // The batches this request still owes an answer for. A batch's own flag cannot say so: a failed
    // batch is armed again for its retry (awaiting) while this answer is still being read.
    const unanswered = new Set(sending);
    const answered = (s: Sending, result: number | Error) => {
      if (!unanswered.delete(s) || !s.batch.awaiting) return;
      s.batch.awaiting = false;
      if (typeof result === 'number') this.acknowledged(s.queue, s.batch, result);
      else this.failed(s.queue, s.batch, result);
    };
    try {
      if (leader < 0) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, { api: 'Produce', topic: sending[0].queue.topic, partition: sending[0].queue.partition });
      if (this.acks === 0) {
        await this.cluster.send(leader, ApiKey.Produce, PRODUCE_VERSIONS, body, { expectResponse: false });
        for (const s of sending) answered(s, -1);
        return;
      }
      const { response } = await this.cluster.send<ProduceResponse>(leader, ApiKey.Produce, PRODUCE_VERSIONS, body);
      for (const t of response.responses) {
        for (const p of t.partitionResponses) {
          const s = sending.find((x) => x.queue.topic === t.name && x.queue.partition === p.index);
          if (!s) continue;
          if (p.errorCode === ErrorCode.NONE || p.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) answered(s, Number(p.baseOffset));
          else answered(s, new KafkaError(p.errorCode, { api: 'Produce', topic: t.name, partition: p.index, message: p.errorMessage }));
        }
      }
      for (const s of [...unanswered]) {
        answered(s, new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, { api: 'Produce', topic: s.queue.topic, partition: s.queue.partition, message: 'the answer left this partition out' }));
      }
    } catch (err) {
      for (const s of sending) answered(s, err as Error);
    }
  }

  /** Hands back the partition's acknowledged batches, in sequence order. */
  private acknowledged(queue: PartitionQueue, batch: InFlightBatch, baseOffset: number): void {
    batch.acked = baseOffset;
    for (const done of queue.takeAcknowledged()) {
      done.records.forEach((r, i) => r.send.delivered(r.index, queue.partition, done.acked! < 0 ? -1 : done.acked! + i));
      this.release(done.records);
      // Acknowledged, so the request carrying it was written whole: its bytes are free for another batch.
      if (done.buffer) this.batchBuffers?.give(done.buffer);
    }
    if (queue.recovering) this.recover(queue);
    else this.scheduleDrain(0);
  }

  /**
   * A transient failure is retried with the same bytes (and sequence) until the delivery timeout;
   * so is a sequence-gap answer for a batch behind an unacknowledged one: the broker refused it only
   * because the earlier one has not arrived (a lost connection can take the earlier one while a later
   * one goes out on the next connection). OUT_OF_ORDER_SEQUENCE_NUMBER says so, and so does
   * UNKNOWN_PRODUCER_ID when the missing batch was the partition's first. Other failures fail the batch.
   */
  private failed(queue: PartitionQueue, batch: InFlightBatch, err: Error): void {
    if (!queue.inFlight.includes(batch)) return;
    const behindAnother = queue.inFlight[0] !== batch && err instanceof KafkaError && SEQUENCE_GAP.has(err.errorCode);
    if ((isTransient(err) || behindAnother) && Date.now() - batch.firstSentAt < this.deliveryTimeoutMs && !this.closed) {
      batch.retry = true;
      queue.recovering = true;
      this.cluster.invalidate(queue.topic);
      this.recover(queue);
      return;
    }
    this.giveUp(queue, batch, err);
  }

  /** Once every batch of the partition is answered, resends the oldest failed one; when none is left, new batches may go again. */
  private recover(queue: PartitionQueue): void {
    if (queue.inFlight.some((b) => b.awaiting)) return;
    const next = queue.inFlight.find((b) => b.retry);
    if (!next) {
      queue.recovering = false;
      this.scheduleDrain(0);
      return;
    }
    next.retry = false;
    next.awaiting = true;
    const backoff = Math.min(1000, this.retryBackoffMs * 2 ** Math.min(next.attempts - 1, 10));
    setTimeout(() => {
      next.awaiting = false;
      void this.cluster
        .topicPartitions(queue.topic, this.autoCreate)
        .then((partitions) => partitions[queue.partition]?.leader ?? -1, () => -1)
        .then((leader) => this.sendTo(leader, [{ queue, batch: next }]));
    }, backoff);
  }

  /**
   * Fails a batch for good. Its partition's later batches in flight follow a gap in the sequence
   * the broker will never fill, so they fail too, and an idempotent producer starts again with a
   * new producer id (a transactional one can only abort).
   */
  private giveUp(queue: PartitionQueue, batch: InFlightBatch, err: Error): void {
    const from = queue.inFlight.indexOf(batch);
    const dropped = this.idempotent ? queue.inFlight.splice(from) : queue.inFlight.splice(from, 1);
    this.transactions?.fail(err);
    if (this.idempotent && !this.transactions && dropped.length > 0) {
      this.producerId = null;
      this.identity = null;
    }
    for (const b of dropped) {
      b.awaiting = false;
      for (const r of b.records) r.send.failed(err);
      this.release(b.records);
    }
    queue.recovering = false;
    this.scheduleDrain(0);
  }

  /** Frees the buffer space of records that are done, and wakes whoever waits for room or for idleness. */
  private release(records: QueuedRecord[]): void {
    for (const r of records) this.buffered -= r.size;
    for (const wake of this.roomWaiters.splice(0)) wake();
    if (!this.busy()) for (const wake of this.idle.splice(0)) wake();
  }
}
