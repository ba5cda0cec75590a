import {
  ApiKey, createCreatePartitionsRequest, createCreatePartitionsRequestCreatePartitionsTopic, createCreateTopicsRequest, createCreateTopicsRequestCreatableTopic,
  createCreateTopicsRequestCreatableTopicConfig, createDeleteTopicsRequest, createDeleteTopicsRequestDeleteTopicState,
  type CreatePartitionsResponse, type CreateTopicsResponse, type DeleteTopicsResponse, ErrorCode, type MetadataResponse, ZERO_UUID,
} from '@millrace/protocol';
import { throwFailures, requireInt, requireName } from './admin-util.ts';
import { type Cluster, metadataRequest } from './cluster.ts';
import { KafkaError } from './errors.ts';

/** v4+ can say "do not auto-create" (describing a topic must never create it); v10+ has topic ids. */
const METADATA_VERSIONS = [4, 12] as const;
/** v1+ has validate-only; v5+ answers with the partitions and replication factor; v7+ with the topic id. */
const CREATE_TOPICS_VERSIONS = [1, 7] as const;
/** v5+ has an error message per topic; v6 names topics in a struct (with an id we leave zero). */
const DELETE_TOPICS_VERSIONS = [1, 6] as const;
const CREATE_PARTITIONS_VERSIONS = [0, 3] as const;

export interface NewTopic {
  topic: string;
  /** Default: the broker's num.partitions. */
  partitions?: number;
  /** Default: the broker's default.replication.factor. */
  replicationFactor?: number;
  configs?: Record<string, string>;
}

export interface CreateTopicsOptions {
  /** Only check that the topics could be created. */
  validateOnly?: boolean;
  /** How long the broker may take to create them, and how long to keep asking again for those a quota refused (KIP-599). Default: the client's request timeout. */
  timeoutMs?: number;
}

export interface CreatedTopic {
  topic: string;
  /** Null when validating only, or from brokers before CreateTopics v7. */
  topicId: string | null;
  /** -1 from brokers before CreateTopics v5, which do not say. */
  partitions: number;
  replicationFactor: number;
}

export interface PartitionDescription {
  partition: number;
  /** -1 while the partition has no leader. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface TopicDescription {
  topic: string;
  topicId: string | null;
  internal: boolean;
  partitions: PartitionDescription[];
}

/** Metadata of `topics` (all topics when null), without creating any. */
export async function fetchMetadata(cluster: Cluster, topics: string[] | null): Promise<MetadataResponse> {
  const { response } = await cluster.retrying(() => cluster.send<MetadataResponse>(null, ApiKey.Metadata, METADATA_VERSIONS, (v) => metadataRequest(topics, false, v)));
  return response;
}

/** The broker's timeout for a change, and how long to wait for its answer (a little longer). */
function timeouts(cluster: Cluster, timeoutMs: number | undefined): { broker: number; answer: number } {
  const broker = timeoutMs === undefined ? cluster.requestTimeoutMs : requireInt(timeoutMs, 'timeoutMs', 0);
  return { broker, answer: Math.max(cluster.requestTimeoutMs, broker + 5_000) };
}

/** The least pause before asking again for what a quota refused, should the broker name no throttle time. */
const MIN_THROTTLE_PAUSE_MS = 100;

/**
 * Sends a change for `names`, then again for those the broker refused with THROTTLING_QUOTA_EXCEEDED
 * (KIP-599: it made no change to them) once the throttle time it named has passed, as Kafka's admin
 * client does, until `timeoutMs` has passed (then the refusals are the answer). Returns each name's last answer and the version used.
 */
async function sendUntilNotThrottled<R extends { name: string | null; errorCode: number }>(
  names: string[],
  timeoutMs: number,
  send: (names: string[]) => Promise<{ results: R[]; throttleTimeMs: number; version: number }>,
): Promise<{ byName: Map<string | null, R>; version: number }> {
  const deadline = Date.now() + timeoutMs;
  const byName = new Map<string | null, R>();
  for (let pending = names; ;) {
    const { results, throttleTimeMs, version } = await send(pending);
    for (const r of results) byName.set(r.name, r);
    pending = pending.filter((name) => byName.get(name)?.errorCode === ErrorCode.THROTTLING_QUOTA_EXCEEDED);
    const pause = Math.max(MIN_THROTTLE_PAUSE_MS, throttleTimeMs);
    if (pending.length === 0 || Date.now() + pause >= deadline) return { byName, version };
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

// Changes are not retried after a lost answer (a retry would report the change it made as an error);
// only what the broker said it refused under a quota is asked for again.
export async function createTopics(cluster: Cluster, topics: NewTopic[], options: CreateTopicsOptions = {}): Promise<CreatedTopic[]> {
  for (const t of topics) {
    requireName(t.topic, 'topic');
    if (t.partitions !== undefined) requireInt(t.partitions, `partitions of ${t.topic}`);
    if (t.replicationFactor !== undefined) requireInt(t.replicationFactor, `replicationFactor of ${t.topic}`);
  }
  if (topics.length === 0) return [];
  const timeout = timeouts(cluster, options.timeoutMs);
  const wanted = new Map(topics.map((t) => [t.topic, t]));
  const { byName, version } = await sendUntilNotThrottled(topics.map((t) => t.topic), timeout.broker, async (names) => {
    const { response, version } = await cluster.send<CreateTopicsResponse>(null, ApiKey.CreateTopics, CREATE_TOPICS_VERSIONS, () =>
      createCreateTopicsRequest({
        timeoutMs: timeout.broker,
        validateOnly: options.validateOnly ?? false,
        topics: names.map((name) => wanted.get(name)!).map((t) => createCreateTopicsRequestCreatableTopic({
          name: t.topic,
          numPartitions: t.partitions ?? -1,
          replicationFactor: t.replicationFactor ?? -1,
          configs: Object.entries(t.configs ?? {}).map(([name, value]) => createCreateTopicsRequestCreatableTopicConfig({ name, value })),
        })),
      }), { timeoutMs: timeout.answer });
    return { results: response.topics, throttleTimeMs: response.throttleTimeMs, version };
  });
  const failures: KafkaError[] = [];
  const created = topics.map((t) => {
    const r = byName.get(t.topic);
    if (!r || r.errorCode !== ErrorCode.NONE) failures.push(new KafkaError(r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, { api: 'CreateTopics', topic: t.topic, message: r ? r.errorMessage : 'the broker did not answer for this topic' }));
    const partitions = version >= 5 ? (r?.numPartitions ?? -1) : (t.partitions ?? -1);
    return { topic: t.topic, topicId: r && version >= 7 && r.topicId !== ZERO_UUID ? r.topicId : null, partitions, replicationFactor: version >= 5 ? (r?.replicationFactor ?? -1) : (t.replicationFactor ?? -1) };
  });
  for (const t of topics) cluster.invalidate(t.topic);
  throwFailures('CreateTopics', failures);
  return created;
}

export async function deleteTopics(cluster: Cluster, names: string[], options: { timeoutMs?: number } = {}): Promise<void> {
  for (const name of names) requireName(name, 'topic');
  if (names.length === 0) return;
  const timeout = timeouts(cluster, options.timeoutMs);
  const { byName } = await sendUntilNotThrottled(names, timeout.broker, async (pending) => {
    const { response, version } = await cluster.send<DeleteTopicsResponse>(null, ApiKey.DeleteTopics, DELETE_TOPICS_VERSIONS, (v) =>
      createDeleteTopicsRequest({ timeoutMs: timeout.broker, ...(v >= 6 ? { topics: pending.map((name) => createDeleteTopicsRequestDeleteTopicState({ name })) } : { topicNames: pending }) }), { timeoutMs: timeout.answer });
    return { results: response.responses, throttleTimeMs: response.throttleTimeMs, version };
  });
  for (const name of names) cluster.invalidate(name);
  throwFailures('DeleteTopics', [...byName.values()].filter((r) => r.errorCode !== ErrorCode.NONE).map((r) =>
    new KafkaError(r.errorCode, { api: 'DeleteTopics', topic: r.name ?? undefined, message: r.errorMessage })));
}

/** Grows topics to `count` partitions each (Kafka cannot shrink them). */
export async function createPartitions(cluster: Cluster, topics: { topic: string; count: number }[], options: CreateTopicsOptions = {}): Promise<void> {
  for (const t of topics) requireInt(t.count, `count of ${requireName(t.topic, 'topic')}`, 1);
  if (topics.length === 0) return;
  const timeout = timeouts(cluster, options.timeoutMs);
  const counts = new Map(topics.map((t) => [t.topic, t.count]));
  const { byName } = await sendUntilNotThrottled(topics.map((t) => t.topic), timeout.broker, async (names) => {
    const { response, version } = await cluster.send<CreatePartitionsResponse>(null, ApiKey.CreatePartitions, CREATE_PARTITIONS_VERSIONS, () =>
      createCreatePartitionsRequest({
        timeoutMs: timeout.broker,
        validateOnly: options.validateOnly ?? false,
        topics: names.map((name) => createCreatePartitionsRequestCreatePartitionsTopic({ name, count: counts.get(name)!, assignments: null })),
      }), { timeoutMs: timeout.answer });
    return { results: response.results, throttleTimeMs: response.throttleTimeMs, version };
  });
  for (const t of topics) cluster.invalidate(t.topic);
  throwFailures('CreatePartitions', [...byName.values()].filter((r) => r.errorCode !== ErrorCode.NONE).map((r) =>
    new KafkaError(r.errorCode, { api: 'CreatePartitions', topic: r.name, message: r.errorMessage })));
}

export async function listTopics(cluster: Cluster, options: { includeInternal?: boolean } = {}): Promise<string[]> {
  const response = await fetchMetadata(cluster, null);
  return response.topics.filter((t) => t.name !== null && t.errorCode === ErrorCode.NONE && (options.includeInternal || !t.isInternal)).map((t) => t.name!).sort();
}

export async function describeTopics(cluster: Cluster, names: string[]): Promise<TopicDescription[]> {
  for (const name of names) requireName(name, 'topic');
  if (names.length === 0) return [];
  const response = await fetchMetadata(cluster, names);
  const byName = new Map(response.topics.map((t) => [t.name, t]));
  const failures: KafkaError[] = [];
  const described = names.flatMap((name) => {
    const t = byName.get(name);
    if (!t || t.errorCode !== ErrorCode.NONE) {
      failures.push(new KafkaError(t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, { api: 'Metadata', topic: name }));
      return [];
    }
    const partitions = t.partitions.map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes, offlineReplicas: p.offlineReplicas }));
    return [{ topic: name, topicId: t.topicId && t.topicId !== ZERO_UUID ? t.topicId : null, internal: t.isInternal, partitions: partitions.sort((a, b) => a.partition - b.partition) }];
  });
  throwFailures('Metadata', failures);
  return described;
}
