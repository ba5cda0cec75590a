import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ErrorCode, ZERO_UUID } from '@millrace/protocol';
import { type Fs, type LogConfig, NodeFs, PartitionLog, readCheckpoint, removeCheckpoint, writeCheckpoint } from '@millrace/storage';
import type { BrokerConfig } from './config/broker-config.ts';
import { type Logger, silentLogger } from './logger.ts';
import { TOPIC_CONFIG_BY_NAME, validateConfigValue } from './config/topic-configs.ts';
import { Partition } from './partition.ts';
import { collisionKey, topicNameError } from './metadata/topic-names.ts';
import { loadTopicRecords, saveTopicRecords, type TopicRecord } from './metadata/topic-records.ts';

export interface Topic {
  record: TopicRecord;
  partitions: Partition[];
}

/** A Kafka error to put in a response: code and message. */
export interface KafkaFailure {
  errorCode: number;
  message: string;
}

export function isFailure(value: object): value is KafkaFailure {
  return typeof (value as KafkaFailure).errorCode === 'number';
}


/**
 * Written after every log closed cleanly, removed once the logs are open again: while it is there,
 * the logs were all flushed and checkpointed at their ends, and open without walking any segment.
 */
const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';

/** Owns the topics and their partition logs. Mutations are serialized by the callers' await order on one event loop. */
/** A topic of this name exists, or is being created by another request. */
export class TopicExistsError extends Error {
  constructor(name: string) {
    super(`topic '${name}' already exists`);
    this.name = 'TopicExistsError';
  }
}

export class TopicManager {
  private readonly topics = new Map<string, Topic>();
  private readonly byId = new Map<string, Topic>();
  /** Names whose creation is under way. */
  private readonly creating = new Set<string>();
  readonly dataDir: string;
  readonly config: BrokerConfig;
  readonly now: () => number;
  private readonly log: Logger;
  /** Every file of the broker's data goes through it (tests hand in a FaultInjectingFs). */
  private readonly fs: Fs;
  private topicWrites: Promise<void> = Promise.resolve();

  private constructor(dataDir: string, config: BrokerConfig, now: () => number, log: Logger, fs: Fs) {
    this.dataDir = dataDir;
    this.config = config;
    this.now = now;
    this.log = log;
    this.fs = fs;
  }

  /**
   * Opens every topic's partition logs. A log found corrupt opens offline (its clients get
   * KAFKA_STORAGE_ERROR) and the broker starts anyway, with the damage logged as an error.
   */
  static async open(dataDir: string, config: BrokerConfig, now: () => number, log: Logger = silentLogger, fs: Fs = new NodeFs()): Promise<TopicManager> {
    await fs.mkdirp(dataDir);
    const manager = new TopicManager(dataDir, config, now, log, fs);
    const markerPath = join(dataDir, CLEAN_SHUTDOWN_FILE);
    const cleanShutdown = await readCheckpoint(fs, markerPath).then(
      (value) => value === 'clean',
      (err: Error) => {
        log.warn(`${err.message}: recovering every log as after a crash`);
        return false;
      },
    );
    const records = await loadTopicRecords(fs, dataDir);
    if (!cleanShutdown && records.length > 0) log.info('no clean-shutdown marker: recovering logs past their recovery points');
    for (const record of records) {
      const partitions: Partition[] = [];
      for (let p = 0; p < record.partitionCount; p++) partitions.push(await manager.openPartition(record, p, cleanShutdown));
      manager.add({ record, partitions });
    }
    // From here on the logs change: a crash must not find a marker that vouches for them.
    await removeCheckpoint(fs, markerPath);
    return manager;
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  getById(id: string): Topic | undefined {
    return this.byId.get(id);
  }

  list(): Topic[] {
    return [...this.topics.values()];
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.topics.get(topic)?.partitions[index];
  }

  /** The value in force for a topic config: the topic's override, else the broker setting, else Kafka's default. */
  topicConfig(record: TopicRecord, key: string): string {
    const override = record.configs[key];
    if (override !== undefined) return override;
    const def = TOPIC_CONFIG_BY_NAME.get(key);
    if (!def) throw new Error(`unknown topic config ${key}`);
    return (def.brokerSynonym && this.config.values[def.brokerSynonym]) || def.defaultValue;
  }

  /** Checks a CreateTopics request's fields without changing anything. */
  validateNewTopic(name: string, partitionCount: number, replicationFactor: number, configs: Record<string, string>): KafkaFailure | null {
    const nameError = topicNameError(name);
    if (nameError) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, message: nameError };
    if (this.topics.has(name)) return { errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, message: `topic '${name}' already exists` };
    const collision = this.list().find((t) => collisionKey(t.record.name) === collisionKey(name));
    if (collision) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, message: `topic '${name}' collides with existing topic '${collision.record.name}'` };
    if (partitionCount < 1 || partitionCount > MAX_PARTITIONS) {
      return { errorCode: ErrorCode.INVALID_PARTITIONS, message: `number of partitions must be between 1 and ${MAX_PARTITIONS}, not ${partitionCount}` };
    }
    if (replicationFactor !== 1) {
      return { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, message: `replication factor ${replicationFactor} is larger than the 1 available broker` };
    }
    return validateTopicConfigs(configs);
  }

  /**
   * Creates a topic: its partition logs first, then topics.json; only once that write is durable
   * does the topic exist for clients. If it fails (a full disk), the new logs are removed and the
   * error is thrown: nothing can be acknowledged for a topic a restart would not know. In a
   * cluster the id is the one the cluster's metadata gave the topic.
   */
  async createTopic(name: string, partitionCount: number, configs: Record<string, string>, id = newTopicId()): Promise<Topic> {
    // Two requests creating one name at once would open the same partition directories twice.
    if (this.topics.has(name) || this.creating.has(name)) throw new TopicExistsError(name);
    this.creating.add(name);
    const record: TopicRecord = { name, id, partitionCount, configs };
    const partitions: Partition[] = [];
    try {
      for (let p = 0; p < partitionCount; p++) partitions.push(await this.openPartition(record, p));
      const topic = { record, partitions };
      return await this.commitChange((records) => [...records, record], () => {
        this.add(topic);
        return topic;
      });
    } catch (err) {
      for (const partition of partitions) await partition.log.delete();
      throw err;
    } finally {
      this.creating.delete(name);
    }
  }

  async deleteTopic(name: string): Promise<void> {
    const topic = this.topics.get(name);
    if (!topic) return;
    await this.commitChange((records) => records.filter((r) => r.name !== name), () => {
      this.topics.delete(name);
      this.byId.delete(topic.record.id);
    });
    for (const partition of topic.partitions) await partition.log.delete();
  }

  async addPartitions(name: string, newCount: number): Promise<void> {
    const topic = this.topics.get(name)!;
    const added: Partition[] = [];
    try {
      for (let p = topic.partitions.length; p < newCount; p++) added.push(await this.openPartition(topic.record, p));
      await this.commitChange((records) => records.map((r) => (r.name === name ? { ...r, partitionCount: newCount } : r)), () => {
        topic.partitions.push(...added);
        topic.record.partitionCount = newCount;
      });
    } catch (err) {
      for (const partition of added) await partition.log.delete();
      throw err;
    }
  }

  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    const topic = this.topics.get(name)!;
    await this.commitChange((records) => records.map((r) => (r.name === name ? { ...r, configs } : r)), () => {
      topic.record.configs = configs;
      // Segment settings apply from the next append on, as in Kafka.
      for (const partition of topic.partitions) partition.log.updateConfig(this.logConfig(topic.record));
    });
  }

  private logConfig(record: TopicRecord): LogConfig {
    return {
      segmentBytes: Number(this.topicConfig(record, 'segment.bytes')),
      segmentMs: Number(this.topicConfig(record, 'segment.ms')),
      indexIntervalBytes: Number(this.topicConfig(record, 'index.interval.bytes')),
    };
  }

  /** Closes every log; if all closed cleanly, writes the clean-shutdown marker. */
  async close(): Promise<void> {
    let clean = true;
    for (const topic of this.topics.values()) {
      for (const partition of topic.partitions) clean = (await partition.log.close()) && clean;
    }
    if (clean) await writeCheckpoint(this.fs, join(this.dataDir, CLEAN_SHUTDOWN_FILE), 'clean');
    else this.log.warn('some logs did not close cleanly: the next start recovers them as after a crash');
  }

  private add(topic: Topic): void {
    this.topics.set(topic.record.name, topic);
    this.byId.set(topic.record.id, topic);
  }

  /**
   * Writes topics.json as `next` makes it from the topics now, and only then applies the change in
   * memory (`apply`): what clients see is never ahead of what a restart will find. Changes are
   * chained, so each write starts from the one before and they never share the temp file.
   */
  private commitChange<T>(next: (records: TopicRecord[]) => TopicRecord[], apply: () => T): Promise<T> {
    const run = this.topicWrites.then(async () => {
      await saveTopicRecords(this.fs, this.dataDir, next(this.list().map((t) => t.record)));
      return apply();
    });
    this.topicWrites = run.then(() => undefined, () => undefined);
    return run;
  }

  private async openPartition(record: TopicRecord, index: number, cleanShutdown = false): Promise<Partition> {
    const log = await PartitionLog.open({
      dir: join(this.dataDir, `${record.name}-${index}`),
      fs: this.fs,
      config: this.logConfig(record),
      now: this.now,
      cleanShutdown,
      onRecovery: (message) => this.log.warn(`recovery of ${record.name}-${index}: ${message}`),
    });
    if (log.offlineReason) this.log.error(`partition ${record.name}-${index} is OFFLINE: ${log.offlineReason.message}`);
    return new Partition(record.name, index, log);
  }
}

/** Far more than one broker should hold; a limit so that one request cannot create millions of files. */
export const MAX_PARTITIONS = 10_000;

function newTopicId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (id !== ZERO_UUID) return id;
  }
}

/**
 * Valid Kafka values the broker does not act on yet: refused with a clear message rather than
 * accepted and silently ignored.
 */
const UNSUPPORTED_VALUES: Record<string, { allowed: string[]; message: string }> = {
  'compression.type': {
    allowed: ['producer'],
    message: 'compression.type other than "producer" (recompressing on the broker) is not supported yet; batches are stored as producers compress them',
  },
};

export function validateTopicConfigs(configs: Record<string, string>): KafkaFailure | null {
  for (const [key, value] of Object.entries(configs)) {
    const def = TOPIC_CONFIG_BY_NAME.get(key);
    if (!def) return { errorCode: ErrorCode.INVALID_CONFIG, message: `unknown topic config '${key}'` };
    const error = validateConfigValue(def, value);
    if (error) return { errorCode: ErrorCode.INVALID_CONFIG, message: error };
    const unsupported = UNSUPPORTED_VALUES[key];
    if (unsupported && !unsupported.allowed.includes(value.trim())) return { errorCode: ErrorCode.INVALID_CONFIG, message: unsupported.message };
  }
  return null;
}
