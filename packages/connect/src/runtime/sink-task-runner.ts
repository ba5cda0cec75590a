import { Consumer, KafkaError, type TopicPartitionOffset } from '@millrace/client';
import { ErrorCode } from '@millrace/protocol';
import type { ConfigMap, SinkTask } from '../connector.ts';
import type { Converter } from '../converters/converter.ts';
import type { SinkRecord } from '../data.ts';
import type { Transformation } from '../transforms/record.ts';
import type { ErrorReporter, RawRecord } from './error-reporter.ts';
import { failed, type TaskStatus } from './task-state.ts';

export interface SinkTaskOptions {
  connector: string;
  taskId: number;
  task: SinkTask;
  config: ConfigMap;
  brokers: string[];
  topics: string[];
  sessionTimeoutMs: number;
  keyConverter: Converter;
  valueConverter: Converter;
  transform: Transformation;
  errors: ErrorReporter;
  /** How often the task is flushed and the offsets of what it was given committed (offset.flush.interval.ms). */
  flushIntervalMs: number;
  log: (message: string) => void;
}

/** Commit errors that mean the group's generation changed under the member: not the task's failure. */
const REBALANCING = new Set<number>([ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID]);

/**
 * Runs a sink task as a member of the consumer group `connect-<connector>`: hands it each batch
 * consumed, converted, and every flush interval (and before partitions move away, and at stop)
 * flushes it, then commits the offsets of everything it was given. A crash repeats what came after
 * the last commit (at least once).
 */
export class SinkTaskRunner {
  status: TaskStatus = { state: 'UNASSIGNED' };
  private readonly options: SinkTaskOptions;
  private readonly consumer: Consumer;
  /** The next offset of each partition given to the task since the last commit. */
  private given = new Map<string, TopicPartitionOffset>();
  private work: Promise<void> = Promise.resolve();
  private loop: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(options: SinkTaskOptions) {
    this.options = options;
    this.consumer = new Consumer({
      brokers: options.brokers,
      clientId: `connector-consumer-${options.connector}-${options.taskId}`,
      groupId: `connect-${options.connector}`,
      autoCommit: false,
      autoOffsetReset: 'earliest',
      sessionTimeoutMs: options.sessionTimeoutMs,
      onPartitionsRevoked: () => this.exclusive(() => this.commit()),
    });
  }

  /** Runs steps one after another: a rebalance's commit never lands in the middle of a put. */
  private exclusive(step: () => Promise<void>): Promise<void> {
    const next = this.work.then(step);
    this.work = next.catch(() => undefined);
    return next;
  }

  start(): void {
    this.loop = this.run().catch(async (err: unknown) => {
      // A put interrupted by stop() is not a failure: stop() commits what was delivered before it.
      if (this.stopping) return;
      this.status = failed(err);
      this.options.log(`task ${this.options.connector}-${this.options.taskId} failed: ${this.status.trace}`);
      // Its partitions go back to the group; nothing it was given since the last commit is committed.
      this.given = new Map();
      await this.consumer.close().catch(() => undefined);
    });
  }

  private async run(): Promise<void> {
    await this.options.task.start(this.options.config, { log: this.options.log });
    this.consumer.subscribe(this.options.topics);
    this.status = { state: 'RUNNING' };
    // Commits keep their own clock: a sink whose topics fall quiet still commits what it was last given.
    let commitFailure: unknown = null;
    const timer = setInterval(() => {
      this.exclusive(() => this.commit()).catch((err: unknown) => {
        commitFailure ??= err;
        // Ends the loop below, which then fails the task.
        void this.consumer.close().catch(() => undefined);
      });
    }, this.options.flushIntervalMs);
    try {
      for await (const batch of this.consumer.batches({ includeEmpty: true })) {
        if (batch.records.length > 0) {
          await this.exclusive(async () => {
            const records: SinkRecord[] = [];
            for (const r of batch.records) {
              const converted = this.convert({ topic: batch.topic, partition: batch.partition, offset: r.offset, key: r.key, value: r.value, headers: r.headers }, r.timestamp);
              if (converted !== null) records.push(converted);
            }
            if (records.length > 0) await this.options.task.put(records);
            const last = batch.records[batch.records.length - 1];
            this.given.set(`${batch.topic}\u0000${batch.partition}`, { topic: batch.topic, partition: batch.partition, offset: last.offset + 1 });
          });
        }
        if (this.stopping) break;
      }
    } finally {
      clearInterval(timer);
    }
    if (commitFailure !== null) throw commitFailure;
  }

  /** A consumed record converted and transformed, or null if a transformation dropped it or it failed and errors are tolerated. */
  private convert(raw: RawRecord, timestamp: number): SinkRecord | null {
    const { keyConverter, valueConverter, transform, errors } = this.options;
    const where = `${raw.topic}-${raw.partition} at offset ${raw.offset}`;
    let key: ReturnType<Converter['toConnectData']>;
    let value: ReturnType<Converter['toConnectData']>;
    try {
      key = keyConverter.toConnectData(raw.topic, raw.key);
    } catch (err) {
      errors.report(err as Error, 'KEY_CONVERTER', where, raw);
      return null;
    }
    try {
      value = valueConverter.toConnectData(raw.topic, raw.value);
    } catch (err) {
      errors.report(err as Error, 'VALUE_CONVERTER', where, raw);
      return null;
    }
    try {
      return transform({ topic: raw.topic, partition: raw.partition, offset: raw.offset, timestamp, keySchema: key.schema, key: key.value, valueSchema: value.schema, value: value.value, headers: raw.headers });
    } catch (err) {
      errors.report(err as Error, 'TRANSFORMATION', where, raw);
      return null;
    }
  }

  /** Flushes the task, then commits the offsets of what it was given. */
  private async commit(): Promise<void> {
    if (this.given.size === 0) return;
    await this.options.task.flush();
    // Records sent to the dead letter queue are there before the offsets past them are committed.
    await this.options.errors.flush();
    const offsets = [...this.given.values()];
    this.given = new Map();
    try {
      await this.consumer.commit(offsets);
    } catch (err) {
      if (!(err instanceof KafkaError && REBALANCING.has(err.errorCode))) throw err;
      // Kept for the commit made when the partitions are revoked, which may still succeed (newer offsets win).
      for (const o of offsets) {
        const key = `${o.topic}\u0000${o.partition}`;
        if (!this.given.has(key)) this.given.set(key, o);
      }
      // The group moved on (a dead member's session expired, say) before this member rejoined: the
      // records since the last commit go again to whichever task owns them next (at least once).
      this.options.log(`task ${this.options.connector}-${this.options.taskId}: offsets not committed, the group is rebalancing (${err.message})`);
    }
  }

  /** Flushes and commits what the task was given, leaves the group and stops the task. */
  async stop(): Promise<void> {
    this.stopping = true;
    // A put still under way is given up (its records are not committed), so stopping does not wait on its retries.
    this.options.task.interrupt?.();
    await this.exclusive(() => this.commit()).catch(() => undefined);
    await this.consumer.close();
    await this.loop;
    await this.options.task.stop();
    await this.options.errors.close();
    if (this.status.state === 'RUNNING') this.status = { state: 'UNASSIGNED' };
  }
}
