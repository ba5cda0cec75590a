import {
  ApiKey, createDeleteRecordsRequest, createDeleteRecordsRequestDeleteRecordsPartition, createDeleteRecordsRequestDeleteRecordsTopic, type DeleteRecordsResponse,
  ErrorCode, type ListOffsetsResponse, type OffsetCommitResponse,
} from '@millrace/protocol';
import { describeGroups, fetchOffsets } from './admin-groups.ts';
import { coordinatorError, groupBy, invalid, partitionsOf, requireInt, requireName, throwFailures, withLeaderRetries } from './admin-util.ts';
import { type Cluster, CoordinatorType } from './cluster.ts';
import { KafkaError } from './errors.ts';
import { EARLIEST, LATEST, LIST_OFFSETS_VERSIONS, listOffsetsRequest, OFFSET_COMMIT_VERSIONS, offsetCommitRequest } from './offsets.ts';

const DELETE_RECORDS_VERSIONS = [0, 2] as const;

/** 'earliest' (the log start), 'latest' (the log end), or the first offset whose timestamp is at or after `timestamp` (ms). */
export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number };

export interface PartitionOffset {
  partition: number;
  offset: number;
}

export interface ListOffsetsOptions {
  /** read_committed: 'latest' is the last stable offset (before the first open transaction). Default read_uncommitted. */
  isolation?: 'read_uncommitted' | 'read_committed';
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Null where the group has committed nothing. */
  committed: number | null;
  logEndOffset: number;
  /** logEndOffset - committed; null where the group has committed nothing. */
  lag: number | null;
}

export type ResetTarget = OffsetSpec | { offsets: Record<number, number> };

interface PartitionAnswer {
  partition: number;
  errorCode: number;
  value: number;
}

/**
 * Sends one request to the leader of each group of `partitions` of `topic`, all at once, and
 * collects each partition's answer. A partition's error fails the call naming it; when a leader
 * moved, the whole call is tried again with fresh metadata.
 */
async function perLeader(cluster: Cluster, topic: string, api: string, partitions: number[], send: (leader: number, ps: number[]) => Promise<PartitionAnswer[]>): Promise<Map<number, number>> {
  return withLeaderRetries(cluster, topic, async () => {
    const known = new Map((await cluster.topicPartitions(topic)).map((p) => [p.partition, p.leader]));
    const byLeader = groupBy(partitions, (p) => known.get(p) ?? -2);
    const answers = (await Promise.all([...byLeader].filter(([leader]) => leader >= 0).map(([leader, ps]) => send(leader, ps)))).flat();
    const failures = [
      ...(byLeader.get(-2) ?? []).map((partition) => new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, { api, topic, partition })),
      ...(byLeader.get(-1) ?? []).map((partition) => new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, { api, topic, partition })),
      ...answers.filter((a) => a.errorCode !== ErrorCode.NONE).map((a) => new KafkaError(a.errorCode, { api, topic, partition: a.partition })),
    ];
    const moved = failures.find((f) => f.retriable && f.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    if (moved) throw moved;
    throwFailures(api, failures);
    return new Map(answers.map((a) => [a.partition, a.value]));
  });
}

async function offsetsAt(cluster: Cluster, topic: string, partitions: number[], timestamp: number, readCommitted: boolean): Promise<Map<number, number>> {
  return perLeader(cluster, topic, 'ListOffsets', partitions, async (leader, ps) => {
    const { response } = await cluster.send<ListOffsetsResponse>(leader, ApiKey.ListOffsets, [readCommitted ? 2 : LIST_OFFSETS_VERSIONS[0], LIST_OFFSETS_VERSIONS[1]], () =>
      listOffsetsRequest(ps.map((partition) => ({ topic, partition })), timestamp, readCommitted));
    return response.topics.flatMap((t) => t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, value: Number(p.offset) })));
  });
}

/**
 * The offset of every partition of `topic` at `spec`. Where no record is at or after a timestamp,
 * the answer is the log end offset: where a consumer reset to that time starts reading.
 */
export async function listOffsets(cluster: Cluster, topic: string, spec: OffsetSpec, options: ListOffsetsOptions = {}): Promise<PartitionOffset[]> {
  requireName(topic, 'topic');
  const readCommitted = options.isolation === 'read_committed';
  if (options.isolation !== undefined && !readCommitted && options.isolation !== 'read_uncommitted') throw invalid(`isolation must be 'read_uncommitted' or 'read_committed', not '${String(options.isolation)}'`);
  const timestamp = spec === 'earliest' ? EARLIEST : spec === 'latest' ? LATEST : requireInt(typeof spec === 'object' ? spec.timestamp : spec, 'timestamp', 0);
  const partitions = (await partitionsOf(cluster, [topic])).get(topic)!.map((p) => p.partition);
  const offsets = await offsetsAt(cluster, topic, partitions, timestamp, readCommitted);
  const past = partitions.filter((p) => offsets.get(p)! < 0);
  if (past.length > 0) for (const [p, end] of await offsetsAt(cluster, topic, past, LATEST, readCommitted)) offsets.set(p, end);
  return partitions.map((partition) => ({ partition, offset: offsets.get(partition)! }));
}

/** Deletes the records before the given offsets ('latest': all of them) and returns each partition's new log start offset. */
export async function deleteRecords(cluster: Cluster, request: { topic: string; partitions: Record<number, number | 'latest'> }, options: { timeoutMs?: number } = {}): Promise<{ partition: number; lowWatermark: number }[]> {
  const topic = requireName(request.topic, 'topic');
  const targets = new Map(Object.entries(request.partitions).map(([p, offset]) => [requireInt(Number(p), 'partition', 0), offset === 'latest' ? LATEST : requireInt(offset, `offset of ${topic}-${p}`, 0)]));
  if (targets.size === 0) return [];
  const timeoutMs = options.timeoutMs === undefined ? cluster.requestTimeoutMs : requireInt(options.timeoutMs, 'timeoutMs', 0);
  await partitionsOf(cluster, [topic]);
  const lows = await perLeader(cluster, topic, 'DeleteRecords', [...targets.keys()], async (leader, ps) => {
    const { response } = await cluster.send<DeleteRecordsResponse>(leader, ApiKey.DeleteRecords, DELETE_RECORDS_VERSIONS, () =>
      createDeleteRecordsRequest({
        timeoutMs,
        topics: [createDeleteRecordsRequestDeleteRecordsTopic({ name: topic, partitions: ps.map((partitionIndex) => createDeleteRecordsRequestDeleteRecordsPartition({ partitionIndex, offset: BigInt(targets.get(partitionIndex)!) })) })],
      }), { timeoutMs: Math.max(cluster.requestTimeoutMs, timeoutMs + 5_000) });
    return response.topics.flatMap((t) => t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, value: Number(p.lowWatermark) })));
  });
  return [...lows].sort(([a], [b]) => a - b).map(([partition, lowWatermark]) => ({ partition, lowWatermark }));
}

/** Per partition of each topic the group committed to or is assigned: its committed offset, the log end offset and the lag between. */
export async function groupLag(cluster: Cluster, groupId: string): Promise<PartitionLag[]> {
  const [committed, [group]] = await Promise.all([fetchOffsets(cluster, groupId), describeGroups(cluster, [groupId])]);
  const topics = [...new Set([...committed.map((c) => c.topic), ...group.members.flatMap((m) => m.assignment?.partitions.map((p) => p.topic) ?? [])])].sort();
  const at = new Map(committed.map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]));
  await cluster.refresh(topics);
  const perTopic = await Promise.all(topics.map(async (topic) => {
    // A topic deleted since the group committed to it has no lag to show.
    const partitions = await cluster.topicPartitions(topic).catch((err: unknown) => {
      if (err instanceof KafkaError && err.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return [];
      throw err;
    });
    const ends = partitions.length === 0 ? new Map<number, number>() : await offsetsAt(cluster, topic, partitions.map((p) => p.partition), LATEST, false);
    return partitions.map(({ partition }) => {
      const offset = at.get(`${topic}\u0000${partition}`) ?? null;
      const logEndOffset = ends.get(partition)!;
      return { topic, partition, committed: offset, logEndOffset, lag: offset === null ? null : Math.max(0, logEndOffset - offset) };
    });
  }));
  return perTopic.flat();
}

/** Commits offsets for a group from outside it (generation -1, no member id), which the broker allows only while the group has no members. */
async function commitWithoutMember(cluster: Cluster, groupId: string, topic: string, offsets: Map<number, number>): Promise<void> {
  const nobody = { generationId: -1, memberId: '', groupInstanceId: null };
  const { response } = await cluster.sendToCoordinator<OffsetCommitResponse>(groupId, CoordinatorType.GROUP, ApiKey.OffsetCommit, OFFSET_COMMIT_VERSIONS,
    () => offsetCommitRequest(groupId, nobody, [...offsets].map(([partition, offset]) => ({ topic, partition, offset }))),
    (r) => coordinatorError(r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))));
  const failed = response.topics.flatMap((t) => t.partitions.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) => ({ topic: t.name, ...p })));
  const busy = failed.find((p) => p.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || p.errorCode === ErrorCode.ILLEGAL_GENERATION || p.errorCode === ErrorCode.REBALANCE_IN_PROGRESS);
  if (busy) throw new KafkaError(busy.errorCode, { api: 'OffsetCommit', message: `group '${groupId}' has active members: its offsets can be reset only while it has none (stop its consumers first)` });
  throwFailures('OffsetCommit', failed.map((p) => new KafkaError(p.errorCode, { api: 'OffsetCommit', topic: p.topic, partition: p.partitionIndex, message: `group '${groupId}'` })));
}

/**
 * Sets the group's committed offsets of `topic`: every partition to the earliest or latest offset
 * or the first at a time, or the given partitions to the given offsets. Only while the group has no
 * members (else UNKNOWN_MEMBER_ID); returns the offsets committed.
 */
export async function resetOffsets(cluster: Cluster, groupId: string, reset: { topic: string; to: ResetTarget }): Promise<{ topic: string; partition: number; offset: number }[]> {
  requireName(groupId, 'group id');
  const topic = requireName(reset.topic, 'topic');
  const to = reset.to;
  let offsets: Map<number, number>;
  if (typeof to === 'object' && to !== null && 'offsets' in to) {
    offsets = new Map(Object.entries(to.offsets).map(([p, offset]) => [requireInt(Number(p), 'partition', 0), requireInt(offset, `offset of ${topic}-${p}`, 0)]));
    if (offsets.size === 0) return [];
  } else {
    offsets = new Map((await listOffsets(cluster, topic, to)).map((o) => [o.partition, o.offset]));
  }
  await commitWithoutMember(cluster, groupId, topic, offsets);
  return [...offsets].sort(([a], [b]) => a - b).map(([partition, offset]) => ({ topic, partition, offset }));
}
