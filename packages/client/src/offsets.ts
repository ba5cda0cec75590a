import {
  ApiKey, createListOffsetsRequest, createListOffsetsRequestListOffsetsPartition, createListOffsetsRequestListOffsetsTopic, createOffsetCommitRequest,
  createOffsetCommitRequestOffsetCommitRequestPartition, createOffsetCommitRequestOffsetCommitRequestTopic, createOffsetFetchRequest, createOffsetFetchRequestOffsetFetchRequestTopic,
  ErrorCode, type ListOffsetsRequest, type ListOffsetsResponse, type OffsetCommitRequest, type OffsetCommitResponse, type OffsetFetchResponse,
} from '@millrace/protocol';
import { type Cluster, CoordinatorType } from './cluster.ts';
import { KafkaError } from './errors.ts';
import { byTopic, partitionKey, type TopicPartition } from './topic-partitions.ts';

const OFFSET_FETCH_VERSIONS = [1, 7] as const;
/** v2+ commits without a member too (generation -1, empty member id); v9 is KIP-848's. */
export const OFFSET_COMMIT_VERSIONS = [2, 8] as const;
/** v1 answers one offset per partition; v2+ has the isolation level. */
export const LIST_OFFSETS_VERSIONS = [1, 8] as const;

export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
  /** Text committed with the offset (Kafka's offset metadata), read back by `committed`. */
  metadata?: string;
}

/** Who commits: a group member of a generation, or (generation -1, no member id) anyone while the group has no members. */
export interface Committer {
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export const EARLIEST = -2;
export const LATEST = -1;

/** The group's committed offsets of `partitions` (-1 where none): with `requireStable`, waits out undecided transactional commits. */
export async function fetchCommitted(cluster: Cluster, groupId: string, partitions: readonly TopicPartition[], requireStable: boolean): Promise<Map<string, number>> {
  const committed = await fetchCommittedWithMetadata(cluster, groupId, partitions, requireStable);
  return new Map([...committed].map(([key, c]) => [key, c.offset]));
}

/** The group's committed offsets of `partitions` (-1 where none) with the metadata committed beside them. */
export async function fetchCommittedWithMetadata(cluster: Cluster, groupId: string, partitions: readonly TopicPartition[], requireStable: boolean): Promise<Map<string, { offset: number; metadata: string }>> {
  const firstError = (r: OffsetFetchResponse) => r.errorCode || (r.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE);
  const { response } = await cluster.sendToCoordinator<OffsetFetchResponse>(groupId, CoordinatorType.GROUP, ApiKey.OffsetFetch, OFFSET_FETCH_VERSIONS, () =>
    createOffsetFetchRequest({
      groupId,
      requireStable,
      topics: [...byTopic(partitions)].map(([name, ps]) => createOffsetFetchRequestOffsetFetchRequestTopic({ name, partitionIndexes: ps.map((p) => p.partition) })),
    }), firstError);
  const code = firstError(response);
  if (code !== ErrorCode.NONE) throw new KafkaError(code, { api: 'OffsetFetch', message: `group ${groupId}` });
  const offsets = new Map<string, { offset: number; metadata: string }>();
  for (const t of response.topics) for (const p of t.partitions) offsets.set(partitionKey(t.name, p.partitionIndex), { offset: Number(p.committedOffset), metadata: p.metadata ?? '' });
  return offsets;
}

/** Commits `offsets` for `groupId`; durable on the broker once this resolves. A partition's error is thrown naming it. */
/** An OffsetCommit of `offsets` (each the next offset to read) by `committer`. */
export function offsetCommitRequest(groupId: string, committer: Committer, offsets: readonly TopicPartitionOffset[]): OffsetCommitRequest {
  return createOffsetCommitRequest({
    groupId,
    generationIdOrMemberEpoch: committer.generationId,
    memberId: committer.memberId,
    groupInstanceId: committer.groupInstanceId,
    topics: [...byTopic(offsets)].map(([name, ps]) => createOffsetCommitRequestOffsetCommitRequestTopic({
      name,
      partitions: ps.map((p) => createOffsetCommitRequestOffsetCommitRequestPartition({ partitionIndex: p.partition, committedOffset: BigInt(p.offset), committedMetadata: p.metadata ?? '' })),
    })),
  });
}

export async function commitOffsets(cluster: Cluster, groupId: string, committer: Committer, offsets: readonly TopicPartitionOffset[]): Promise<void> {
  if (offsets.length === 0) return;
  const firstError = (r: OffsetCommitResponse) => {
    for (const t of r.topics) for (const p of t.partitions) if (p.errorCode !== ErrorCode.NONE) return { code: p.errorCode, topic: t.name, partition: p.partitionIndex };
    return null;
  };
  const { response } = await cluster.sendToCoordinator<OffsetCommitResponse>(groupId, CoordinatorType.GROUP, ApiKey.OffsetCommit, OFFSET_COMMIT_VERSIONS,
    () => offsetCommitRequest(groupId, committer, offsets), (r) => firstError(r)?.code ?? ErrorCode.NONE);
  const failed = firstError(response);
  if (failed) throw new KafkaError(failed.code, { api: 'OffsetCommit', topic: failed.topic, partition: failed.partition, message: `group ${groupId}` });
}

/** A consumer's ListOffsets (replica id -1): `timestamp` is EARLIEST, LATEST or milliseconds. */
export function listOffsetsRequest(partitions: readonly TopicPartition[], timestamp: number, readCommitted: boolean): ListOffsetsRequest {
  return createListOffsetsRequest({
    replicaId: -1,
    isolationLevel: readCommitted ? 1 : 0,
    topics: [...byTopic(partitions)].map(([name, ps]) => createListOffsetsRequestListOffsetsTopic({
      name,
      partitions: ps.map((p) => createListOffsetsRequestListOffsetsPartition({ partitionIndex: p.partition, timestamp: BigInt(timestamp) })),
    })),
  });
}

/**
 * Offsets by time for `partitions`, asked of each partition's leader: EARLIEST, LATEST (the last
 * stable offset under read_committed), or the first offset at or after a timestamp (-1 if none).
 */
export async function listOffsets(cluster: Cluster, partitions: readonly TopicPartition[], timestamp: number, readCommitted: boolean): Promise<Map<string, number>> {
  const byLeader = new Map<number, TopicPartition[]>();
  for (const p of partitions) {
    const leader = (await cluster.topicPartitions(p.topic))[p.partition]?.leader ?? -1;
    if (leader < 0) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, { api: 'ListOffsets', topic: p.topic, partition: p.partition });
    byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
  }
  const offsets = new Map<string, number>();
  await Promise.all([...byLeader].map(async ([leader, ps]) => {
    const { response } = await cluster.send<ListOffsetsResponse>(leader, ApiKey.ListOffsets, LIST_OFFSETS_VERSIONS, () => listOffsetsRequest(ps, timestamp, readCommitted));
    for (const t of response.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) {
          if (p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || p.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) cluster.invalidate(t.name);
          throw new KafkaError(p.errorCode, { api: 'ListOffsets', topic: t.name, partition: p.partitionIndex });
        }
        offsets.set(partitionKey(t.name, p.partitionIndex), Number(p.offset));
      }
    }
  }));
  return offsets;
}
