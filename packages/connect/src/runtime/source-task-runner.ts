import { type Message, Producer } from '@millrace/client';
import type { ConfigMap, SourceTask } from '../connector.ts';
import type { Converter } from '../converters/converter.ts';
import type { SourceRecord } from '../data.ts';
import { ConnectError } from '../errors.ts';
import { offsetKey, type OffsetStore } from './offset-store.ts';
import { failed, type TaskStatus } from './task-state.ts';

export interface SourceTaskOptions {
  connector: string;
  taskId: number;
  task: SourceTask;
  config: ConfigMap;
  brokers: string[];
  keyConverter: Converter;
  valueConverter: Converter;
  offsets: OffsetStore;
  /** How often acknowledged records' offsets are stored (offset.flush.interval.ms). */
  flushIntervalMs: number;
  log: (message: string) => void;
}

/** Records sent and not yet acknowledged, at most, before the runner waits instead of polling (the source's own backpressure). */
const MAX_UNACKNOWLEDGED_RECORDS = 20_000;

/** One poll's records, sent: settled once Kafka acknowledged them all (or one failed). */
interface SentPoll {
  acknowledged: Promise<void>;
  done: boolean;
  records: number;
  /** The latest source offset of each source partition in the poll. */
  offsets: Map<string, [Record<string, unknown>, Record<string, unknown>]>;
}

/**
 * Runs a source task: polls it, converts and sends its records through an idempotent producer,
 * and every flush interval stores the latest source offset of each source partition among the
 * polls Kafka has acknowledged in full, in poll order (an offset is stored only once every record
 * before it is acknowledged), then calls the task's `commit()`. A crash repeats what was sent after
 * the last stored offsets (at least once); it never skips a record.
 */
export class SourceTaskRunner {
  status: TaskStatus = { state: 'UNASSIGNED' };
  private readonly options: SourceTaskOptions;
  private readonly producer: Producer;
  private readonly abort = new AbortController();
  /** Polls sent and not yet stored, oldest first. */
  private sent: SentPoll[] = [];
  private unacknowledged = 0;
  private sendFailure: Error | null = null;
  private loop: Promise<void> = Promise.resolve();

  constructor(options: SourceTaskOptions) {
    this.options = options;
    this.producer = new Producer({ brokers: options.brokers, clientId: `connector-producer-${options.connector}-${options.taskId}` });
  }

  start(): void {
    this.loop = this.run().catch((err: unknown) => {
      this.status = failed(err);
      this.options.log(`task ${this.options.connector}-${this.options.taskId} failed: ${this.status.trace}`);
    });
  }

  private async run(): Promise<void> {
    const { task, connector, offsets } = this.options;
    await task.start(this.options.config, { offset: (partition) => offsets.get(connector, partition), log: this.options.log });
    this.status = { state: 'RUNNING' };
    let lastFlush = Date.now();
    while (!this.abort.signal.aborted) {
      while (this.unacknowledged > MAX_UNACKNOWLEDGED_RECORDS && this.sendFailure === null) await this.sent.find((p) => !p.done)!.acknowledged;
      if (this.sendFailure) throw this.sendFailure;
      const records = await task.poll(this.abort.signal);
      if (records.length > 0) this.send(records);
      if (Date.now() - lastFlush >= this.options.flushIntervalMs) {
        await this.storeOffsets();
        lastFlush = Date.now();
      }
    }
    // Stopping: everything sent is waited for, and its offsets stored.
    await this.producer.flush();
    await Promise.all(this.sent.map((p) => p.acknowledged));
    await this.storeOffsets();
  }

  private send(records: SourceRecord[]): void {
    const byTopic = new Map<string, Message[]>();
    const offsets = new Map<string, [Record<string, unknown>, Record<string, unknown>]>();
    for (const r of records) {
      const key = this.options.keyConverter.fromConnectData(r.topic, r.keySchema, r.key);
      const value = this.options.valueConverter.fromConnectData(r.topic, r.valueSchema, r.value);
      let messages = byTopic.get(r.topic);
      if (!messages) byTopic.set(r.topic, (messages = []));
      messages.push({ key, value, partition: r.partition, timestamp: r.timestamp, headers: r.headers });
      offsets.set(offsetKey(this.options.connector, r.sourcePartition), [r.sourcePartition, r.sourceOffset]);
    }
    const poll: SentPoll = { acknowledged: Promise.resolve(), done: false, records: records.length, offsets };
    poll.acknowledged = Promise.all([...byTopic].map(([topic, messages]) => this.producer.send(topic, messages).catch((err: Error) => {
      this.sendFailure ??= new ConnectError('TASK_FAILED', `writing to ${topic} failed: ${err.message}`, { cause: err });
    }))).then(() => {
      poll.done = true;
      this.unacknowledged -= poll.records;
    });
    this.sent.push(poll);
    this.unacknowledged += poll.records;
  }

  /** Stores the offsets of the polls acknowledged in full, oldest first up to the first that is not, and tells the task. */
  private async storeOffsets(): Promise<void> {
    if (this.sendFailure) throw this.sendFailure;
    const latest = new Map<string, [Record<string, unknown>, Record<string, unknown>]>();
    let stored = 0;
    for (const poll of this.sent) {
      if (!poll.done) break;
      for (const [key, entry] of poll.offsets) latest.set(key, entry);
      stored++;
    }
    this.sent = this.sent.slice(stored);
    if (latest.size === 0) return;
    await this.options.offsets.write(this.options.connector, latest.values());
    await this.options.task.commit?.();
  }

  /** Stops polling, stores the offsets of what was acknowledged, and stops the task. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await this.options.task.stop();
    await this.producer.close();
    if (this.status.state === 'RUNNING') this.status = { state: 'UNASSIGNED' };
  }
}
