import { type Admin, Consumer, Producer } from '@millrace/client';

export interface LogRecord {
  key: string | null;
  /** Null: a tombstone. */
  value: string | null;
  partition: number;
  offset: number;
}

export interface TopicLogOptions {
  topic: string;
  partitions: number;
  /** -1: the broker's default. */
  replicationFactor: number;
  brokers: string[];
  admin: Admin;
  clientId: string;
  onRecord: (record: LogRecord) => void;
}

/**
 * A compacted topic used as a worker's shared, durable state (Kafka Connect's config, offsets and
 * status topics): created if missing, read in full from the start and then followed, with writes
 * acknowledged by every in-sync replica. `readToEnd` waits until every record written before it
 * was called has been handed to `onRecord`.
 */
export class TopicLog {
  private readonly options: TopicLogOptions;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private loop: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private readonly waiters = new Set<{ ends: Map<number, number>; done: () => void }>();

  constructor(options: TopicLogOptions) {
    this.options = options;
    this.consumer = new Consumer({ brokers: options.brokers, clientId: `${options.clientId}-reader`, maxWaitMs: 100 });
    this.producer = new Producer({ brokers: options.brokers, clientId: `${options.clientId}-writer`, acks: -1, idempotent: true });
  }

  /** Creates the topic if it is missing, then reads it from the start; resolves once everything there is has been read. */
  async start(): Promise<void> {
    const { admin, topic, partitions, replicationFactor } = this.options;
    await admin.createTopics([{ topic, partitions, replicationFactor, configs: { 'cleanup.policy': 'compact' } }]).catch((err: { code?: string }) => {
      // Another worker created it first, or it was made beforehand.
      if (err.code !== 'TOPIC_ALREADY_EXISTS') throw err;
    });
    const [description] = await admin.describeTopics([topic]);
    this.consumer.assign(description.partitions.map((p) => ({ topic, partition: p.partition, offset: 0 })));
    this.loop = this.follow().catch((err: Error) => {
      this.failure = err;
      for (const waiter of this.waiters) waiter.done();
    });
    await this.readToEnd();
  }

  private async follow(): Promise<void> {
    for await (const batch of this.consumer.batches({ includeEmpty: true })) {
      for (const r of batch.records) {
        this.options.onRecord({ key: r.key?.toString('utf8') ?? null, value: r.value?.toString('utf8') ?? null, partition: batch.partition, offset: r.offset });
      }
      for (const waiter of this.waiters) {
        if ([...waiter.ends].every(([partition, end]) => (this.consumer.position({ topic: this.options.topic, partition }) ?? 0) >= end)) waiter.done();
      }
    }
  }

  /** Waits until everything in the topic now has been read. */
  async readToEnd(): Promise<void> {
    if (this.failure) throw this.failure;
    const ends = new Map((await this.options.admin.listOffsets(this.options.topic, 'latest')).map((p) => [p.partition, p.offset]));
    const topic = this.options.topic;
    if ([...ends].every(([partition, end]) => (this.consumer.position({ topic, partition }) ?? 0) >= end)) return;
    await new Promise<void>((resolve) => {
      const waiter = { ends, done: () => (this.waiters.delete(waiter), resolve()) };
      this.waiters.add(waiter);
    });
    if (this.failure) throw this.failure;
  }

  /** Writes a record (a null value: a tombstone); resolves once it is acknowledged by every in-sync replica. */
  async write(key: string, value: string | null, partition?: number): Promise<void> {
    await this.producer.send(this.options.topic, [{ key, value, partition }]);
  }

  async stop(): Promise<void> {
    await this.producer.close();
    await this.consumer.close();
    await this.loop;
  }
}
