import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, ZERO_UUID } from '@millrace/protocol';
import { type LogConfig, NodeFs, PartitionLog } from '@millrace/storage';
import type { BrokerConfig } from './config/broker-config.ts';
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

const fs = new NodeFs();

/** Owns the topics and their partition logs. Mutations are serialized by the callers' await order on one event loop. */
export class TopicManager {
  private readonly topics = new Map<string, Topic>();
  private readonly byId = new Map<string, Topic>();
  readonly dataDir: string;
  readonly config: BrokerConfig;
  readonly now: () => number;

  private constructor(dataDir: string, config: BrokerConfig, now: () => number) {
    this.dataDir = dataDir;
    this.config = config;
    this.now = now;
  }

  static async open(dataDir: string, config: BrokerConfig, now: () => number): Promise<TopicManager> {
    mkdirSync(dataDir, { recursive: true });
    const manager = new TopicManager(dataDir, config, now);
    for (const record of loadTopicRecords(dataDir)) {
      const partitions: Partition[] = [];
      for (let p = 0; p < record.partitionCount; p++) partitions.push(await manager.openPartition(record, p));
      manager.add({ record, partitions });
    }
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

  async createTopic(name: string, partitionCount: number, configs: Record<string, string>): Promise<Topic> {
    const record: TopicRecord = { name, id: newTopicId(), partitionCount, configs };
    const partitions: Partition[] = [];
    for (let p = 0; p < partitionCount; p++) partitions.push(await this.openPartition(record, p));
    const topic = { record, partitions };
    this.add(topic);
    this.persist();
    return topic;
  }

  async deleteTopic(name: string): Promise<void> {
    const topic = this.topics.get(name);
    if (!topic) return;
    this.topics.delete(name);
    this.byId.delete(topic.record.id);
    this.persist();
    for (const partition of topic.partitions) await partition.log.delete();
  }

  async addPartitions(name: string, newCount: number): Promise<void> {
    const topic = this.topics.get(name)!;
    for (let p = topic.partitions.length; p < newCount; p++) topic.partitions.push(await this.openPartition(topic.record, p));
    topic.record.partitionCount = newCount;
    this.persist();
  }

  setTopicConfigs(name: string, configs: Record<string, string>): void {
    const topic = this.topics.get(name)!;
    topic.record.configs = configs;
    this.persist();
    // Segment settings apply from the next append on, as in Kafka.
    for (const partition of topic.partitions) partition.log.updateConfig(this.logConfig(topic.record));
  }

  private logConfig(record: TopicRecord): LogConfig {
    return {
      segmentBytes: Number(this.topicConfig(record, 'segment.bytes')),
      segmentMs: Number(this.topicConfig(record, 'segment.ms')),
      indexIntervalBytes: Number(this.topicConfig(record, 'index.interval.bytes')),
    };
  }

  async close(): Promise<void> {
    for (const topic of this.topics.values()) {
      for (const partition of topic.partitions) await partition.log.close();
    }
  }

  private add(topic: Topic): void {
    this.topics.set(topic.record.name, topic);
    this.byId.set(topic.record.id, topic);
  }

  private persist(): void {
    saveTopicRecords(this.dataDir, this.list().map((t) => t.record));
  }

  private async openPartition(record: TopicRecord, index: number): Promise<Partition> {
    const log = await PartitionLog.open({
      dir: join(this.dataDir, `${record.name}-${index}`),
      fs,
      config: this.logConfig(record),
      now: this.now,
    });
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
