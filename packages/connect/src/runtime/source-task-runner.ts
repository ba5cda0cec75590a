import { type Message, Producer } from '@millrace/client';
import type { ConfigMap, SourceTask } from '../connector.ts';
import type { Converter } from '../converters/converter.ts';
import type { SourceRecord } from '../data.ts';
import { ConnectError } from '../errors.ts';
import type { Transformation } from '../transforms/record.ts';
import type { ErrorReporter } from './error-reporter.ts';
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
  transform: Transformation;
  errors: ErrorReporter;
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
    let sent = 0;
    for (const polled of records) {
      // A record skipped (dropped by a transformation, or failing with errors.tolerance=all) still moves the offset on.
      offsets.set(offsetKey(this.options.connector, polled.sourcePartition), [polled.sourcePartition, polled.sourceOffset]);
      const message = this.toMessage(polled);
      if (message === null) continue;
      let messages = byTopic.get(message.topic);
      if (!messages) byTopic.set(message.topic, (messages = []));
      messages.push(message.message);
      sent++;
    }
    const poll: SentPoll = { acknowledged: Promise.resolve(), done: false, records: sent, offsets };
    poll.acknowledged = Promise.all([...byTopic].map(([topic, messages]) => this.producer.send(topic, messages).catch((err: Error) => {
      this.sendFailure ??= new ConnectError('TASK_FAILED', `writing to ${topic} failed: ${err.message}`, { cause: err });
    }))).then(() => {
      poll.done = true;
      this.unacknowledged -= poll.records;
    });
    this.sent.push(poll);
    this.unacknowledged += poll.records;
  }

  /** A polled record transformed and converted, or null if a transformation dropped it or it failed and errors are tolerated. */
  private toMessage(polled: SourceRecord): { topic: string; message: Message } | null {
    const { transform, errors, keyConverter, valueConverter } = this.options;
    const where = `a record for ${polled.topic} from ${JSON.stringify(polled.sourcePartition)} at ${JSON.stringify(polled.sourceOffset)}`;
    let r: SourceRecord | null;
    try {
      r = transform(polled);
    } catch (err) {
      errors.report(err as Error, 'TRANSFORMATION', where, null);
      return null;
    }
    if (r === null) return null;
    let key: Buffer | null;
    let value: Buffer | null;
    try {
      key = keyConverter.fromConnectData(r.topic, r.keySchema, r.key);
    } catch (err) {
      errors.report(err as Error, 'KEY_CONVERTER', where, null);
      return null;
    }
    try {
      value = valueConverter.fromConnectData(r.topic, r.valueSchema, r.value);
    } catch (err) {
      errors.report(err as Error, 'VALUE_CONVERTER', where, null);
      return null;
    }
    return { topic: r.topic, message: { key, value, partition: r.partition, timestamp: r.timestamp, headers: r.headers } };
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
    await this.options.errors.close();
    if (this.status.state === 'RUNNING') this.status = { state: 'UNASSIGNED' };
  }
}
