// Group APIs over the wire against an in-process broker: commit rules, DeleteGroups, OffsetDelete.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ApiKey, createDeleteGroupsRequest, createJoinGroupRequest, createJoinGroupRequestJoinGroupRequestProtocol,
  createMetadataRequest, createMetadataRequestMetadataRequestTopic, createOffsetCommitRequest,
  createOffsetCommitRequestOffsetCommitRequestPartition, createOffsetCommitRequestOffsetCommitRequestTopic,
  createOffsetDeleteRequest, createOffsetDeleteRequestOffsetDeleteRequestPartition, createOffsetDeleteRequestOffsetDeleteRequestTopic,
  createOffsetFetchRequest, createOffsetFetchRequestOffsetFetchRequestTopic, type DeleteGroupsResponse, ErrorCode,
  type JoinGroupResponse, createSyncGroupRequest, createSyncGroupRequestSyncGroupRequestAssignment, type SyncGroupResponse,
  createDescribeGroupsRequest, type DescribeGroupsResponse, createHeartbeatRequest, type HeartbeatResponse, type MetadataResponse, type OffsetCommitResponse, type OffsetDeleteResponse, type OffsetFetchResponse, Writer,
} from '@millrace/protocol';
import { startTestBroker, type TestBroker } from '../test-support/test-broker.ts';
import { WireClient } from '../test-support/wire-client.ts';

let tb: TestBroker;
let client: WireClient;

before(async () => {
  tb = await startTestBroker({ 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '3' });
  client = await WireClient.connect(tb.port);
  await client.request<MetadataResponse>(ApiKey.Metadata, 4, createMetadataRequest({ topics: [createMetadataRequestMetadataRequestTopic({ name: 't' })], allowAutoTopicCreation: true }));
});

after(async () => {
  client.close();
  await tb.close();
});

function commit(group: string, offset: bigint, generation = -1, memberId = '', metadata: string | null = 'm') {
  return client.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 7, createOffsetCommitRequest({
    groupId: group, generationIdOrMemberEpoch: generation, memberId,
    topics: [createOffsetCommitRequestOffsetCommitRequestTopic({ name: 't', partitions: [createOffsetCommitRequestOffsetCommitRequestPartition({ partitionIndex: 0, committedOffset: offset, committedMetadata: metadata })] })],
  })).then((r) => r.topics[0].partitions[0].errorCode);
}

function fetched(group: string) {
  return client.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 5, createOffsetFetchRequest({
    groupId: group, topics: [createOffsetFetchRequestOffsetFetchRequestTopic({ name: 't', partitionIndexes: [0] })],
  })).then((r) => r.topics[0].partitions[0]);
}

/** A consumer-protocol subscription to topic t, as a Java or librdkafka client would send it (version 0). */
function subscriptionToT(): Buffer {
  const w = new Writer();
  w.int16(0);
  w.int32(1);
  w.string('t');
  w.int32(-1);
  return Buffer.from(w.finish());
}

async function joinAsMember(group: string): Promise<JoinGroupResponse> {
  return client.request<JoinGroupResponse>(ApiKey.JoinGroup, 3, createJoinGroupRequest({
    groupId: group, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', protocolType: 'consumer',
    protocols: [createJoinGroupRequestJoinGroupRequestProtocol({ name: 'range', metadata: subscriptionToT() })],
  }));
}

test('commits from outside a group, metadata limits, and fetches of what was committed', async () => {
  assert.equal(await commit('outside', 5n), 0);
  const got = await fetched('outside');
  assert.equal(got.committedOffset, 5n);
  assert.equal(got.metadata, 'm');
  assert.equal((await fetched('never-committed')).committedOffset, -1n);
  assert.equal(await commit('outside', 6n, -1, '', 'x'.repeat(5000)), ErrorCode.OFFSET_METADATA_TOO_LARGE);
  assert.equal(await commit('', 1n), ErrorCode.INVALID_GROUP_ID);
});

test('member commits need the current generation; others are refused while the group has members', async () => {
  const joined = await joinAsMember('members');
  assert.equal(joined.errorCode, 0);
  assert.equal(await commit('members', 3n, joined.generationId, 'not-a-member'), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(await commit('members', 3n, -1, ''), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(await commit('members', 3n, joined.generationId + 1, joined.memberId), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(await commit('members', 3n, joined.generationId, joined.memberId), ErrorCode.REBALANCE_IN_PROGRESS, 'no commits between join and sync');
});

test('DeleteGroups refuses groups with members and deletes the offsets of empty ones', async () => {
  await commit('deletable', 9n);
  const result = await client.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, 1, createDeleteGroupsRequest({ groupsNames: ['deletable', 'members', 'unheard-of'] }));
  assert.deepEqual(result.results.map((r) => [r.groupId, r.errorCode]), [
    ['deletable', 0], ['members', ErrorCode.NON_EMPTY_GROUP], ['unheard-of', ErrorCode.GROUP_ID_NOT_FOUND],
  ]);
  assert.equal((await fetched('deletable')).committedOffset, -1n);
});

test('OffsetDelete deletes offsets unless members subscribe to the topic', async () => {
  await commit('forgetful', 2n);
  const del = (group: string) => client.request<OffsetDeleteResponse>(ApiKey.OffsetDelete, 0, createOffsetDeleteRequest({
    groupId: group, topics: [createOffsetDeleteRequestOffsetDeleteRequestTopic({ name: 't', partitions: [createOffsetDeleteRequestOffsetDeleteRequestPartition({ partitionIndex: 0 })] })],
  }));
  const ok = await del('forgetful');
  assert.equal(ok.topics[0].partitions[0].errorCode, 0);
  assert.equal((await fetched('forgetful')).committedOffset, -1n);
  const busy = await del('members');
  assert.equal(busy.topics[0].partitions[0].errorCode, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
  assert.equal((await del('nobody')).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
});

test('offsets, their deletions and group membership survive a restart', async () => {
  await commit('kept', 42n);
  const joined = await joinAsMember('remembered');
  const synced = await client.request<SyncGroupResponse>(ApiKey.SyncGroup, 3, createSyncGroupRequest({
    groupId: 'remembered', generationId: joined.generationId, memberId: joined.memberId,
    assignments: [createSyncGroupRequestSyncGroupRequestAssignment({ memberId: joined.memberId, assignment: Buffer.from('assigned') })],
  }));
  assert.equal(synced.errorCode, 0);
  await new Promise((r) => setTimeout(r, 100)); // the group metadata write follows the SyncGroup answer
  client.close();
  tb = await tb.restart();
  client = await WireClient.connect(tb.port);
  assert.equal((await fetched('kept')).committedOffset, 42n);
  assert.equal((await fetched('deletable')).committedOffset, -1n);
  assert.equal((await fetched('forgetful')).committedOffset, -1n);
  const described = await client.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, 4, createDescribeGroupsRequest({ groups: ['remembered'] }));
  assert.equal(described.groups[0].groupState, 'Stable');
  assert.equal(described.groups[0].members[0].memberId, joined.memberId);
  assert.equal(described.groups[0].members[0].memberAssignment.toString(), 'assigned');
  const beat = await client.request<HeartbeatResponse>(ApiKey.Heartbeat, 2, createHeartbeatRequest({ groupId: 'remembered', generationId: joined.generationId, memberId: joined.memberId }));
  assert.equal(beat.errorCode, 0, 'the member goes on in its generation');
});
