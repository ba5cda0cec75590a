import { Admin, Producer } from '@millrace/client';
import type { RecordHeader } from '@millrace/protocol';
import type { ConfigKey, ConfigMap } from '../connector.ts';
import { intSetting } from '../config.ts';
import { ConnectError } from '../errors.ts';

/** Where in a record's way through the worker it failed, as Kafka Connect names the stages. */
export type Stage = 'KEY_CONVERTER' | 'VALUE_CONVERTER' | 'TRANSFORMATION';

/** Every connector's error-handling settings. */
export const ERROR_CONFIG: ConfigKey[] = [
  { name: 'errors.tolerance', type: 'string', default: 'none', importance: 'medium', documentation: 'none: a record that cannot be converted or transformed fails the task; all: it is skipped (and, for a sink, sent to the dead letter queue).' },
  { name: 'errors.log.enable', type: 'boolean', default: 'false', importance: 'medium', documentation: 'Log each skipped record\'s error.' },
  { name: 'errors.log.include.messages', type: 'boolean', default: 'false', importance: 'low', documentation: 'Include where the skipped record came from in that log line.' },
];

/** A sink connector's dead letter queue settings. */
export const DEAD_LETTER_QUEUE_CONFIG: ConfigKey[] = [
  { name: 'errors.deadletterqueue.topic.name', type: 'string', default: '', importance: 'medium', documentation: 'The topic a sink sends the records it skips to, with their original key, value and headers (empty: none).' },
  { name: 'errors.deadletterqueue.topic.replication.factor', type: 'int', default: '-1', importance: 'low', documentation: 'Replicas of the dead letter queue topic when the worker creates it; -1: the broker\'s default.' },
  { name: 'errors.deadletterqueue.context.headers.enable', type: 'boolean', default: 'false', importance: 'low', documentation: 'Add __connect.errors.* headers saying where and why each record failed.' },
];

/** The record as it came from Kafka, for the dead letter queue. */
export interface RawRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface ErrorReporterOptions {
  connector: string;
  taskId: number;
  config: ConfigMap;
  brokers: string[];
  log: (message: string) => void;
}

/**
 * Applies a connector's errors.* settings to a record that could not be converted or transformed:
 * rethrows (tolerance none), or logs it if asked and, for a sink with a dead letter queue, sends
 * the original record there. `flush` waits for those sends: the worker calls it before committing
 * the offsets past them.
 */
export class ErrorReporter {
  private readonly options: ErrorReporterOptions;
  private readonly tolerateAll: boolean;
  private readonly logErrors: boolean;
  private readonly logMessages: boolean;
  private readonly deadLetterTopic: string;
  private readonly contextHeaders: boolean;
  private producer: Producer | null = null;
  private topicReady: Promise<void> | null = null;
  private pending: Promise<void>[] = [];
  /** The first failed send: every later flush fails with it, so no offset past a record that reached neither the sink nor the queue is committed. */
  private failure: Error | null = null;

  constructor(options: ErrorReporterOptions) {
    this.options = options;
    const { config } = options;
    this.tolerateAll = config['errors.tolerance'] === 'all';
    this.logErrors = config['errors.log.enable'] === 'true';
    this.logMessages = config['errors.log.include.messages'] === 'true';
    this.deadLetterTopic = config['errors.deadletterqueue.topic.name']?.trim() ?? '';
    this.contextHeaders = config['errors.deadletterqueue.context.headers.enable'] === 'true';
  }

  /** Handles one record's failure: throws unless errors are tolerated. */
  report(err: Error, stage: Stage, where: string, raw: RawRecord | null): void {
    if (!this.tolerateAll) throw err;
    if (this.logErrors) this.options.log(`task ${this.options.connector}-${this.options.taskId} skipped a record at ${stage}${this.logMessages ? ` (${where})` : ''}: ${err.message}`);
    if (raw && this.deadLetterTopic !== '') {
      this.pending.push(this.sendToDeadLetterQueue(raw, stage, err).catch((sendError: Error) => {
        this.failure ??= new ConnectError('TASK_FAILED', `sending a record to the dead letter queue ${this.deadLetterTopic} failed: ${sendError.message}`, { cause: sendError });
      }));
    }
  }

  private async sendToDeadLetterQueue(raw: RawRecord, stage: Stage, err: Error): Promise<void> {
    this.producer ??= new Producer({ brokers: this.options.brokers, clientId: `connector-dlq-producer-${this.options.connector}-${this.options.taskId}` });
    this.topicReady ??= this.createTopic();
    await this.topicReady;
    const headers = [...raw.headers];
    if (this.contextHeaders) {
      const context: [string, string][] = [
        ['topic', raw.topic], ['partition', String(raw.partition)], ['offset', String(raw.offset)],
        ['connector.name', this.options.connector], ['task.id', String(this.options.taskId)], ['stage', stage],
        ['exception.class.name', err.name], ['exception.message', err.message], ['exception.stacktrace', err.stack ?? err.message],
      ];
      for (const [name, value] of context) headers.push({ key: `__connect.errors.${name}`, value: Buffer.from(value) });
    }
    await this.producer.send(this.deadLetterTopic, [{ key: raw.key, value: raw.value, headers }]);
  }

  private async createTopic(): Promise<void> {
    const admin = new Admin({ brokers: this.options.brokers, clientId: `connector-dlq-admin-${this.options.connector}` });
    try {
      const replicationFactor = intSetting(this.options.config, DEAD_LETTER_QUEUE_CONFIG, 'errors.deadletterqueue.topic.replication.factor');
      await admin.createTopics([{ topic: this.deadLetterTopic, partitions: 1, replicationFactor }]).catch((err: { code?: string }) => {
        if (err.code !== 'TOPIC_ALREADY_EXISTS') throw err;
      });
    } finally {
      await admin.close();
    }
  }

  /** Waits until every record sent to the dead letter queue is acknowledged (a failed send fails here). */
  async flush(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    await Promise.all(pending);
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    await this.producer?.close();
  }
}
