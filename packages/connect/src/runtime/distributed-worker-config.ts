import type { ConfigKey, ConfigMap } from '../connector.ts';
import { intSetting } from '../config.ts';
import { STANDALONE_WORKER_CONFIG } from './worker-config.ts';

/** A distributed worker's own settings, by Kafka Connect's names, on top of every worker's. */
export const DISTRIBUTED_WORKER_CONFIG: ConfigKey[] = [
  ...STANDALONE_WORKER_CONFIG.filter((k) => k.name !== 'offset.storage.file.filename'),
  { name: 'group.id', type: 'string', importance: 'high', documentation: 'The group of workers this one belongs to: they share connectors, tasks and the three topics below.' },
  { name: 'config.storage.topic', type: 'string', importance: 'high', documentation: 'The topic connector and task settings are kept in (one partition, compacted; created if missing).' },
  { name: 'offset.storage.topic', type: 'string', importance: 'high', documentation: 'The topic source offsets are kept in (compacted; created if missing).' },
  { name: 'status.storage.topic', type: 'string', importance: 'high', documentation: 'The topic connector and task states are kept in (compacted; created if missing).' },
  { name: 'config.storage.replication.factor', type: 'int', default: '-1', importance: 'low', documentation: 'Replicas of the config topic when the worker creates it; -1: the broker\'s default.replication.factor.' },
  { name: 'offset.storage.replication.factor', type: 'int', default: '-1', importance: 'low', documentation: 'Replicas of the offsets topic when the worker creates it; -1: the broker\'s default.' },
  { name: 'status.storage.replication.factor', type: 'int', default: '-1', importance: 'low', documentation: 'Replicas of the status topic when the worker creates it; -1: the broker\'s default.' },
  { name: 'offset.storage.partitions', type: 'int', default: '25', importance: 'low', documentation: 'Partitions of the offsets topic when the worker creates it.' },
  { name: 'status.storage.partitions', type: 'int', default: '5', importance: 'low', documentation: 'Partitions of the status topic when the worker creates it.' },
  { name: 'session.timeout.ms', type: 'int', default: '10000', importance: 'high', documentation: 'How long the group waits for a silent worker before moving its connectors and tasks to the others.' },
  { name: 'heartbeat.interval.ms', type: 'int', default: '3000', importance: 'low', documentation: 'How often the worker tells the group it is alive.' },
  { name: 'rebalance.timeout.ms', type: 'int', default: '60000', importance: 'low', documentation: 'How long a rebalance waits for every worker to stop its work and rejoin.' },
];

export interface InternalTopic {
  topic: string;
  partitions: number;
  replicationFactor: number;
}

/** The three internal topics a distributed worker's group shares. */
export function internalTopics(config: ConfigMap): { config: InternalTopic; offset: InternalTopic; status: InternalTopic } {
  const setting = (name: string) => intSetting(config, DISTRIBUTED_WORKER_CONFIG, name);
  return {
    // One partition: the settings' one total order.
    config: { topic: config['config.storage.topic'], partitions: 1, replicationFactor: setting('config.storage.replication.factor') },
    offset: { topic: config['offset.storage.topic'], partitions: setting('offset.storage.partitions'), replicationFactor: setting('offset.storage.replication.factor') },
    status: { topic: config['status.storage.topic'], partitions: setting('status.storage.partitions'), replicationFactor: setting('status.storage.replication.factor') },
  };
}
