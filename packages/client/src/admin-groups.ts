import {
  ApiKey, createDeleteGroupsRequest, createDescribeGroupsRequest, createListGroupsRequest, createOffsetDeleteRequest, createOffsetDeleteRequestOffsetDeleteRequestPartition,
  createOffsetDeleteRequestOffsetDeleteRequestTopic, createOffsetFetchRequest, createOffsetFetchRequestOffsetFetchRequestTopic, type DeleteGroupsResponse,
  type DescribeGroupsResponse, ErrorCode, type ListGroupsResponse, type OffsetDeleteResponse, type OffsetFetchResponse,
} from '@millrace/protocol';
import { decodeMemberAssignment, type MemberAssignment } from './admin-assignment.ts';
import { describeCluster } from './admin-cluster.ts';
import { allOrThrow, coordinatorError, partitionsOf, requireInt, requireName, throwFailures } from './admin-util.ts';
import { type Cluster, CoordinatorType } from './cluster.ts';
import { KafkaError } from './errors.ts';

/** v4 filters by state (and says each group's state). */
const LIST_GROUPS_VERSIONS = [0, 4] as const;
/** v4+ has static members' instance ids; v6 (answering GROUP_ID_NOT_FOUND for unknown groups) is not asked for. */
const DESCRIBE_GROUPS_VERSIONS = [0, 5] as const;
/** v2+ reads every committed partition with null topics; v8 batches groups in another shape. */
const OFFSET_FETCH_VERSIONS = [2, 7] as const;
const DELETE_GROUPS_VERSIONS = [0, 2] as const;
const OFFSET_DELETE_VERSIONS = [0, 0] as const;

/** A classic group's state, as brokers name it. */
export type GroupState = 'Empty' | 'Stable' | 'PreparingRebalance' | 'CompletingRebalance' | 'Dead';

export interface GroupListing {
  groupId: string;
  /** 'consumer' for consumer groups; '' for groups that only have committed offsets. */
  protocolType: string;
  /** Null from brokers before ListGroups v4, which do not say. */
  state: GroupState | null;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  host: string;
  /** The member's partitions, decoded from the consumer protocol; null until the group is Stable, or for other protocol types. */
  assignment: MemberAssignment | null;
}

export interface GroupDescription {
  groupId: string;
  /** 'Dead' for a group the broker does not know. */
  state: GroupState;
  protocolType: string;
  /** The assignor chosen (for consumer groups); null until the group is Stable. */
  protocol: string | null;
  members: GroupMember[];
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
  metadata: string | null;
}

function groupError(api: string, groupId: string, code: number, detail = ''): KafkaError {
  return new KafkaError(code, { api, message: `group '${groupId}'${detail}` });
}

/** Groups of every broker (each lists those it coordinates), optionally only those in `states`. */
export async function listGroups(cluster: Cluster, options: { states?: GroupState[] } = {}): Promise<GroupListing[]> {
  const states = options.states ?? [];
  const { brokers } = await describeCluster(cluster);
  await cluster.refresh([]);
  const lists = await allOrThrow('ListGroups', brokers.map(async (b) => {
    const { response, version } = await cluster.retrying(async () => {
      const answer = await cluster.send<ListGroupsResponse>(b.nodeId, ApiKey.ListGroups, [states.length > 0 ? 4 : 0, LIST_GROUPS_VERSIONS[1]], () => createListGroupsRequest({ statesFilter: states }));
      if (answer.response.errorCode !== ErrorCode.NONE) throw new KafkaError(answer.response.errorCode, { api: 'ListGroups', message: `broker ${b.nodeId}` });
      return answer;
    });
    return response.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: version >= 4 ? (g.groupState as GroupState) : null }));
  }));
  const byId = new Map(lists.flat().map((g) => [g.groupId, g]));
  return [...byId.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
}

async function describeGroup(cluster: Cluster, groupId: string): Promise<GroupDescription> {
  const { response } = await cluster.sendToCoordinator<DescribeGroupsResponse>(groupId, CoordinatorType.GROUP, ApiKey.DescribeGroups, DESCRIBE_GROUPS_VERSIONS, () =>
    createDescribeGroupsRequest({ groups: [groupId] }), (r) => coordinatorError(r.groups.map((g) => g.errorCode)));
  const g = response.groups.find((x) => x.groupId === groupId);
  if (!g || g.errorCode !== ErrorCode.NONE) throw groupError('DescribeGroups', groupId, g?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
  return {
    groupId,
    state: g.groupState as GroupState,
    protocolType: g.protocolType,
    protocol: g.protocolData === '' ? null : g.protocolData,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      host: m.clientHost,
      assignment: g.protocolType === 'consumer' ? decodeMemberAssignment(m.memberAssignment) : null,
    })),
  };
}

/** Each group's state, assignor and members, asked of its coordinator. */
export async function describeGroups(cluster: Cluster, groupIds: string[]): Promise<GroupDescription[]> {
  for (const id of groupIds) requireName(id, 'group id');
  return allOrThrow('DescribeGroups', groupIds.map((id) => describeGroup(cluster, id)));
}

/** The group's committed offsets (of `topics`, else of every topic), by topic and partition; partitions without a commit are left out. */
export async function fetchOffsets(cluster: Cluster, groupId: string, topics?: string[]): Promise<CommittedOffset[]> {
  requireName(groupId, 'group id');
  const partitions = topics === undefined ? null : await partitionsOf(cluster, topics.map((t) => requireName(t, 'topic')));
  const { response } = await cluster.sendToCoordinator<OffsetFetchResponse>(groupId, CoordinatorType.GROUP, ApiKey.OffsetFetch, OFFSET_FETCH_VERSIONS, () =>
    createOffsetFetchRequest({
      groupId,
      topics: partitions && [...partitions].map(([name, ps]) => createOffsetFetchRequestOffsetFetchRequestTopic({ name, partitionIndexes: ps.map((p) => p.partition) })),
    }), (r) => coordinatorError([r.errorCode]));
  if (response.errorCode !== ErrorCode.NONE) throw groupError('OffsetFetch', groupId, response.errorCode);
  const failures: KafkaError[] = [];
  const offsets: CommittedOffset[] = [];
  for (const t of response.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) failures.push(new KafkaError(p.errorCode, { api: 'OffsetFetch', topic: t.name, partition: p.partitionIndex, message: `group '${groupId}'` }));
      else if (p.committedOffset >= 0n) offsets.push({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset), metadata: p.metadata });
    }
  }
  throwFailures('OffsetFetch', failures);
  return offsets.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/** Deletes groups and their committed offsets; only groups without members can be deleted (NON_EMPTY_GROUP). */
export async function deleteGroups(cluster: Cluster, groupIds: string[]): Promise<void> {
  for (const id of groupIds) requireName(id, 'group id');
  await allOrThrow('DeleteGroups', groupIds.map(async (groupId) => {
    const { response } = await cluster.sendToCoordinator<DeleteGroupsResponse>(groupId, CoordinatorType.GROUP, ApiKey.DeleteGroups, DELETE_GROUPS_VERSIONS, () =>
      createDeleteGroupsRequest({ groupsNames: [groupId] }), (r) => coordinatorError(r.results.map((x) => x.errorCode)));
    const result = response.results.find((x) => x.groupId === groupId);
    if (!result || result.errorCode !== ErrorCode.NONE) throw groupError('DeleteGroups', groupId, result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
  }));
}

/** Deletes the group's committed offsets of some partitions of `topic`; refused (GROUP_SUBSCRIBED_TO_TOPIC) while members subscribe to it. */
export async function deleteOffsets(cluster: Cluster, groupId: string, topic: string, partitions: number[]): Promise<void> {
  requireName(groupId, 'group id');
  requireName(topic, 'topic');
  for (const p of partitions) requireInt(p, 'partition', 0);
  if (partitions.length === 0) return;
  const { response } = await cluster.sendToCoordinator<OffsetDeleteResponse>(groupId, CoordinatorType.GROUP, ApiKey.OffsetDelete, OFFSET_DELETE_VERSIONS, () =>
    createOffsetDeleteRequest({
      groupId,
      topics: [createOffsetDeleteRequestOffsetDeleteRequestTopic({ name: topic, partitions: partitions.map((partitionIndex) => createOffsetDeleteRequestOffsetDeleteRequestPartition({ partitionIndex })) })],
    }), (r) => coordinatorError([r.errorCode, ...r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))]));
  if (response.errorCode !== ErrorCode.NONE) throw groupError('OffsetDelete', groupId, response.errorCode);
  throwFailures('OffsetDelete', response.topics.flatMap((t) => t.partitions.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) =>
    new KafkaError(p.errorCode, { api: 'OffsetDelete', topic: t.name, partition: p.partitionIndex, message: `group '${groupId}'` }))));
}
