// Every API the broker serves, asked by a principal without the ACL it needs (refused, or left out
// of a listing) and then with exactly that ACL (served). docs/security.md's table of what each API
// needs is checked against these cases, so the page says what the broker does.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  ApiKey, createAddOffsetsToTxnRequest, createAlterClientQuotasRequest, createAlterClientQuotasRequestEntityData, createAlterClientQuotasRequestEntryData,
  createAlterClientQuotasRequestOpData, createDescribeClientQuotasRequest, createAddPartitionsToTxnRequest, createAddPartitionsToTxnRequestAddPartitionsToTxnTopic,
  createAlterConfigsRequest, createAlterConfigsRequestAlterableConfig, createAlterConfigsRequestAlterConfigsResource, createAlterPartitionReassignmentsRequest,
  createAlterPartitionReassignmentsRequestReassignablePartition, createAlterPartitionReassignmentsRequestReassignableTopic, createAlterUserScramCredentialsRequest,
  createAlterUserScramCredentialsRequestScramCredentialDeletion, createCreateAclsRequest, createCreateAclsRequestAclCreation, createCreatePartitionsRequest,
  createCreatePartitionsRequestCreatePartitionsTopic, createCreateTopicsRequest, createCreateTopicsRequestCreatableTopic, createDeleteAclsRequest,
  createDeleteAclsRequestDeleteAclsFilter, createDeleteGroupsRequest, createDeleteRecordsRequest, createDeleteRecordsRequestDeleteRecordsPartition,
  createDeleteRecordsRequestDeleteRecordsTopic, createDeleteTopicsRequest, createDescribeAclsRequest, createDescribeClusterRequest, createDescribeConfigsRequest,
  createDescribeConfigsRequestDescribeConfigsResource, createDescribeGroupsRequest, createDescribeLogDirsRequest, createDescribeProducersRequest, createDescribeProducersRequestTopicRequest,
  createDescribeTransactionsRequest, createDescribeUserScramCredentialsRequest, createElectLeadersRequest, createElectLeadersRequestTopicPartitions, createEndTxnRequest,
  createFetchRequest, createFetchRequestFetchPartition, createFetchRequestFetchTopic, createFindCoordinatorRequest, createHeartbeatRequest,
  createIncrementalAlterConfigsRequest, createIncrementalAlterConfigsRequestAlterableConfig, createIncrementalAlterConfigsRequestAlterConfigsResource,
  createInitProducerIdRequest, createJoinGroupRequest, createJoinGroupRequestJoinGroupRequestProtocol, createLeaveGroupRequest, createLeaveGroupRequestMemberIdentity,
  createListGroupsRequest, createListOffsetsRequest, createListOffsetsRequestListOffsetsPartition, createListOffsetsRequestListOffsetsTopic,
  createListPartitionReassignmentsRequest, createListTransactionsRequest, createMetadataRequest,
  createOffsetCommitRequest, createOffsetCommitRequestOffsetCommitRequestPartition, createOffsetCommitRequestOffsetCommitRequestTopic, createOffsetDeleteRequest,
  createOffsetDeleteRequestOffsetDeleteRequestPartition, createOffsetDeleteRequestOffsetDeleteRequestTopic, createOffsetFetchRequest,
  createOffsetForLeaderEpochRequest, createOffsetForLeaderEpochRequestOffsetForLeaderPartition, createOffsetForLeaderEpochRequestOffsetForLeaderTopic,
  createProduceRequest, createProduceRequestPartitionProduceData, createProduceRequestTopicProduceData, createSyncGroupRequest, createTxnOffsetCommitRequest,
  createTxnOffsetCommitRequestTxnOffsetCommitRequestPartition, createTxnOffsetCommitRequestTxnOffsetCommitRequestTopic, createWriteTxnMarkersRequest,
  createWriteTxnMarkersRequestWritableTxnMarker, createWriteTxnMarkersRequestWritableTxnMarkerTopic, ErrorCode, errorName,
} from '@millrace/protocol';
import { AclOperation, nameOf, PatternType, PermissionType, ResourceType } from '@millrace/security';
import { testBatch } from '../../../storage/src/test-batches.ts';
import { Broker } from '../broker.ts';
import { buildBrokerConfig } from '../config/broker-config.ts';
import { silentLogger } from '../logger.ts';
import { scramLoggedIn } from '../test-support/sasl-login.ts';
import type { WireClient } from '../test-support/wire-client.ts';
import { parseAddScram } from './add-scram.ts';

// Decoded responses are looked at through the fields each case names.
type Response = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const TOPIC = 'acl-topic';
const GROUP = 'acl-group';
const TXN = 'acl-txn';
const AUTHORIZATION_ERRORS = new Set<number>([
  ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
]);

interface Grant {
  type: number;
  name: string;
  operation: number;
}

const topic = (operation: number, name = TOPIC): Grant => ({ type: ResourceType.TOPIC, name, operation });
const group = (operation: number, name = GROUP): Grant => ({ type: ResourceType.GROUP, name, operation });
const cluster = (operation: number): Grant => ({ type: ResourceType.CLUSTER, name: 'kafka-cluster', operation });
const txn = (operation: number): Grant => ({ type: ResourceType.TRANSACTIONAL_ID, name: TXN, operation });

/** One API: what it needs, how to ask it, and what in the answer says whether it was served. */
interface Case {
  key: number;
  version: number;
  needs: Grant[];
  request: () => object;
  /** The error code that tells (or "listed" / "absent" for an API that leaves out what may not be seen). */
  outcome: (r: Response) => number | 'listed' | 'absent';
  /** The outcome without the ACLs. */
  refused: number | 'absent';
}

const partitionOf = (r: Response, topics = 'topics', partitions = 'partitions') => r[topics][0][partitions][0].errorCode as number;

const CASES: Case[] = [
  { key: ApiKey.Produce, version: 8, needs: [topic(AclOperation.WRITE)], refused: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    request: () => createProduceRequest({ acks: -1, timeoutMs: 5000, topicData: [createProduceRequestTopicProduceData({ name: TOPIC, partitionData: [createProduceRequestPartitionProduceData({ index: 0, records: testBatch({ records: 1 }) })] })] }),
    outcome: (r) => partitionOf(r, 'responses', 'partitionResponses') },
  { key: ApiKey.Fetch, version: 12, needs: [topic(AclOperation.READ)], refused: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    request: () => createFetchRequest({ replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [createFetchRequestFetchTopic({ topic: TOPIC, partitions: [createFetchRequestFetchPartition({ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 })] })] }),
    outcome: (r) => partitionOf(r, 'responses', 'partitions') },
  { key: ApiKey.ListOffsets, version: 7, needs: [topic(AclOperation.DESCRIBE)], refused: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    request: () => createListOffsetsRequest({ replicaId: -1, topics: [createListOffsetsRequestListOffsetsTopic({ name: TOPIC, partitions: [createListOffsetsRequestListOffsetsPartition({ partitionIndex: 0, timestamp: -1n })] })] }),
    outcome: (r) => partitionOf(r) },
  { key: ApiKey.Metadata, version: 12, needs: [topic(AclOperation.DESCRIBE)], refused: 'absent',
    request: () => createMetadataRequest({ topics: null }),
    outcome: (r) => (r.topics.some((t: Response) => t.name === TOPIC) ? 'listed' : 'absent') },
  { key: ApiKey.OffsetCommit, version: 8, needs: [group(AclOperation.READ), topic(AclOperation.READ)], refused: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    request: () => createOffsetCommitRequest({ groupId: GROUP, generationIdOrMemberEpoch: -1, memberId: '', topics: [createOffsetCommitRequestOffsetCommitRequestTopic({ name: TOPIC, partitions: [createOffsetCommitRequestOffsetCommitRequestPartition({ partitionIndex: 0, committedOffset: 0n })] })] }),
    outcome: (r) => partitionOf(r) },
  // Of every committed topic, those the principal may not DESCRIBE are left out.
  { key: ApiKey.OffsetFetch, version: 7, needs: [group(AclOperation.DESCRIBE)], refused: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    request: () => createOffsetFetchRequest({ groupId: GROUP, topics: null }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.FindCoordinator, version: 3, needs: [group(AclOperation.DESCRIBE)], refused: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    request: () => createFindCoordinatorRequest({ key: GROUP, keyType: 0 }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.JoinGroup, version: 5, needs: [group(AclOperation.READ)], refused: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    request: () => createJoinGroupRequest({ groupId: GROUP, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', protocolType: 'consumer', protocols: [createJoinGroupRequestJoinGroupRequestProtocol({ name: 'range', metadata: Buffer.alloc(0) })] }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.Heartbeat, version: 3, needs: [group(AclOperation.READ)], refused: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    request: () => createHeartbeatRequest({ groupId: GROUP, generationId: 1, memberId: 'nobody' }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.LeaveGroup, version: 3, needs: [group(AclOperation.READ)], refused: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    request: () => createLeaveGroupRequest({ groupId: GROUP, members: [createLeaveGroupRequestMemberIdentity({ memberId: 'nobody' })] }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.SyncGroup, version: 3, needs: [group(AclOperation.READ)], refused: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    request: () => createSyncGroupRequest({ groupId: GROUP, generationId: 1, memberId: 'nobody' }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.DescribeGroups, version: 5, needs: [group(AclOperation.DESCRIBE)], refused: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    request: () => createDescribeGroupsRequest({ groups: [GROUP] }),
    outcome: (r) => r.groups[0].errorCode },
  { key: ApiKey.ListGroups, version: 4, needs: [group(AclOperation.DESCRIBE)], refused: 'absent',
    request: () => createListGroupsRequest(),
    outcome: (r) => (r.groups.some((g: Response) => g.groupId === GROUP) ? 'listed' : 'absent') },
  { key: ApiKey.CreateTopics, version: 5, needs: [cluster(AclOperation.CREATE)], refused: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    request: () => createCreateTopicsRequest({ topics: [createCreateTopicsRequestCreatableTopic({ name: 'acl-new', numPartitions: 1, replicationFactor: 1 })], timeoutMs: 5000, validateOnly: true }),
    outcome: (r) => r.topics[0].errorCode },
  { key: ApiKey.DeleteTopics, version: 4, needs: [topic(AclOperation.DELETE, 'acl-doomed')], refused: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    request: () => createDeleteTopicsRequest({ topicNames: ['acl-doomed'], timeoutMs: 5000 }),
    outcome: (r) => r.responses[0].errorCode },
  { key: ApiKey.DeleteRecords, version: 2, needs: [topic(AclOperation.DELETE)], refused: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    request: () => createDeleteRecordsRequest({ timeoutMs: 5000, topics: [createDeleteRecordsRequestDeleteRecordsTopic({ name: TOPIC, partitions: [createDeleteRecordsRequestDeleteRecordsPartition({ partitionIndex: 0, offset: 0n })] })] }),
    outcome: (r) => partitionOf(r) },
  { key: ApiKey.InitProducerId, version: 4, needs: [txn(AclOperation.WRITE)], refused: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    request: () => createInitProducerIdRequest({ transactionalId: TXN, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.OffsetForLeaderEpoch, version: 4, needs: [topic(AclOperation.DESCRIBE)], refused: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    request: () => createOffsetForLeaderEpochRequest({ replicaId: -1, topics: [createOffsetForLeaderEpochRequestOffsetForLeaderTopic({ topic: TOPIC, partitions: [createOffsetForLeaderEpochRequestOffsetForLeaderPartition({ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 })] })] }),
    outcome: (r) => partitionOf(r) },
  { key: ApiKey.AddPartitionsToTxn, version: 3, needs: [txn(AclOperation.WRITE), topic(AclOperation.WRITE)], refused: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    request: () => createAddPartitionsToTxnRequest({ v3AndBelowTransactionalId: TXN, v3AndBelowProducerId: 999n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [createAddPartitionsToTxnRequestAddPartitionsToTxnTopic({ name: TOPIC, partitions: [0] })] }),
    outcome: (r) => r.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode },
  { key: ApiKey.AddOffsetsToTxn, version: 3, needs: [txn(AclOperation.WRITE), group(AclOperation.READ)], refused: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    request: () => createAddOffsetsToTxnRequest({ transactionalId: TXN, producerId: 999n, producerEpoch: 0, groupId: GROUP }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.EndTxn, version: 3, needs: [txn(AclOperation.WRITE)], refused: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    request: () => createEndTxnRequest({ transactionalId: TXN, producerId: 999n, producerEpoch: 0, committed: false }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.WriteTxnMarkers, version: 1, needs: [cluster(AclOperation.CLUSTER_ACTION)], refused: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    request: () => createWriteTxnMarkersRequest({ markers: [createWriteTxnMarkersRequestWritableTxnMarker({ producerId: 999n, producerEpoch: 0, transactionResult: false, coordinatorEpoch: 0, topics: [createWriteTxnMarkersRequestWritableTxnMarkerTopic({ name: TOPIC, partitionIndexes: [0] })] })] }),
    outcome: (r) => r.markers[0].topics[0].partitions[0].errorCode },
  { key: ApiKey.TxnOffsetCommit, version: 3, needs: [txn(AclOperation.WRITE), group(AclOperation.READ), topic(AclOperation.READ)], refused: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    request: () => createTxnOffsetCommitRequest({ transactionalId: TXN, groupId: GROUP, producerId: 999n, producerEpoch: 0, generationId: -1, memberId: '', topics: [createTxnOffsetCommitRequestTxnOffsetCommitRequestTopic({ name: TOPIC, partitions: [createTxnOffsetCommitRequestTxnOffsetCommitRequestPartition({ partitionIndex: 0, committedOffset: 0n })] })] }),
    outcome: (r) => partitionOf(r) },
  { key: ApiKey.DescribeAcls, version: 2, needs: [cluster(AclOperation.DESCRIBE)], refused: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    request: () => createDescribeAclsRequest({ resourceTypeFilter: ResourceType.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: null, hostFilter: null, operation: AclOperation.ANY, permissionType: PermissionType.ANY }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.CreateAcls, version: 2, needs: [cluster(AclOperation.ALTER)], refused: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    request: () => createCreateAclsRequest({ creations: [createCreateAclsRequestAclCreation({ resourceType: ResourceType.TOPIC, resourceName: 'elsewhere', resourcePatternType: PatternType.LITERAL, principal: 'User:carol', host: '*', operation: AclOperation.READ, permissionType: PermissionType.ALLOW })] }),
    outcome: (r) => r.results[0].errorCode },
  { key: ApiKey.DeleteAcls, version: 2, needs: [cluster(AclOperation.ALTER)], refused: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    request: () => createDeleteAclsRequest({ filters: [createDeleteAclsRequestDeleteAclsFilter({ resourceTypeFilter: ResourceType.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: 'User:nobody', hostFilter: null, operation: AclOperation.ANY, permissionType: PermissionType.ANY })] }),
    outcome: (r) => r.filterResults[0].errorCode },
  { key: ApiKey.DescribeConfigs, version: 4, needs: [topic(AclOperation.DESCRIBE_CONFIGS)], refused: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    request: () => createDescribeConfigsRequest({ resources: [createDescribeConfigsRequestDescribeConfigsResource({ resourceType: 2, resourceName: TOPIC, configurationKeys: null })] }),
    outcome: (r) => r.results[0].errorCode },
  { key: ApiKey.AlterConfigs, version: 2, needs: [topic(AclOperation.ALTER_CONFIGS)], refused: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    request: () => createAlterConfigsRequest({ validateOnly: true, resources: [createAlterConfigsRequestAlterConfigsResource({ resourceType: 2, resourceName: TOPIC, configs: [createAlterConfigsRequestAlterableConfig({ name: 'retention.ms', value: '60000' })] })] }),
    outcome: (r) => r.responses[0].errorCode },
  { key: ApiKey.CreatePartitions, version: 3, needs: [topic(AclOperation.ALTER)], refused: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    request: () => createCreatePartitionsRequest({ timeoutMs: 5000, validateOnly: true, topics: [createCreatePartitionsRequestCreatePartitionsTopic({ name: TOPIC, count: 2 })] }),
    outcome: (r) => r.results[0].errorCode },
  { key: ApiKey.DeleteGroups, version: 2, needs: [group(AclOperation.DELETE, 'acl-doomed-group')], refused: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    request: () => createDeleteGroupsRequest({ groupsNames: ['acl-doomed-group'] }),
    outcome: (r) => r.results[0].errorCode },
  { key: ApiKey.ElectLeaders, version: 2, needs: [cluster(AclOperation.ALTER)], refused: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    request: () => createElectLeadersRequest({ electionType: 0, timeoutMs: 5000, topicPartitions: [createElectLeadersRequestTopicPartitions({ topic: TOPIC, partitions: [0] })] }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.IncrementalAlterConfigs, version: 1, needs: [topic(AclOperation.ALTER_CONFIGS)], refused: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    request: () => createIncrementalAlterConfigsRequest({ validateOnly: true, resources: [createIncrementalAlterConfigsRequestAlterConfigsResource({ resourceType: 2, resourceName: TOPIC, configs: [createIncrementalAlterConfigsRequestAlterableConfig({ name: 'retention.ms', configOperation: 0, value: '60000' })] })] }),
    outcome: (r) => r.responses[0].errorCode },
  { key: ApiKey.AlterPartitionReassignments, version: 0, needs: [cluster(AclOperation.ALTER)], refused: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    request: () => createAlterPartitionReassignmentsRequest({ timeoutMs: 5000, topics: [createAlterPartitionReassignmentsRequestReassignableTopic({ name: TOPIC, partitions: [createAlterPartitionReassignmentsRequestReassignablePartition({ partitionIndex: 0, replicas: null })] })] }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.ListPartitionReassignments, version: 0, needs: [cluster(AclOperation.DESCRIBE)], refused: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    request: () => createListPartitionReassignmentsRequest({ timeoutMs: 5000, topics: null }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.OffsetDelete, version: 0, needs: [group(AclOperation.DELETE), topic(AclOperation.READ)], refused: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    request: () => createOffsetDeleteRequest({ groupId: GROUP, topics: [createOffsetDeleteRequestOffsetDeleteRequestTopic({ name: TOPIC, partitions: [createOffsetDeleteRequestOffsetDeleteRequestPartition({ partitionIndex: 0 })] })] }),
    outcome: (r) => (r.errorCode !== ErrorCode.NONE ? r.errorCode : partitionOf(r)) },
  { key: ApiKey.DescribeClientQuotas, version: 1, needs: [cluster(AclOperation.DESCRIBE_CONFIGS)], refused: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    request: () => createDescribeClientQuotasRequest({ components: [], strict: false }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.AlterClientQuotas, version: 1, needs: [cluster(AclOperation.ALTER_CONFIGS)], refused: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    request: () => createAlterClientQuotasRequest({ validateOnly: true, entries: [createAlterClientQuotasRequestEntryData({ entity: [createAlterClientQuotasRequestEntityData({ entityType: 'user', entityName: 'nobody' })], ops: [createAlterClientQuotasRequestOpData({ key: 'producer_byte_rate', value: 1024, remove: false })] })] }),
    outcome: (r) => r.entries[0].errorCode },
  { key: ApiKey.DescribeUserScramCredentials, version: 0, needs: [cluster(AclOperation.DESCRIBE)], refused: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    request: () => createDescribeUserScramCredentialsRequest({ users: null }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.AlterUserScramCredentials, version: 0, needs: [cluster(AclOperation.ALTER)], refused: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    request: () => createAlterUserScramCredentialsRequest({ deletions: [createAlterUserScramCredentialsRequestScramCredentialDeletion({ name: 'nobody', mechanism: 1 })] }),
    outcome: (r) => r.results[0].errorCode },
  { key: ApiKey.DescribeLogDirs, version: 4, needs: [cluster(AclOperation.DESCRIBE)], refused: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    request: () => createDescribeLogDirsRequest({ topics: null }),
    outcome: (r) => r.errorCode },
  { key: ApiKey.DescribeProducers, version: 0, needs: [topic(AclOperation.READ)], refused: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    request: () => createDescribeProducersRequest({ topics: [createDescribeProducersRequestTopicRequest({ name: TOPIC, partitionIndexes: [0] })] }),
    outcome: (r) => partitionOf(r) },
  { key: ApiKey.DescribeTransactions, version: 0, needs: [txn(AclOperation.DESCRIBE)], refused: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    request: () => createDescribeTransactionsRequest({ transactionalIds: [TXN] }),
    outcome: (r) => r.transactionStates[0].errorCode },
  { key: ApiKey.ListTransactions, version: 1, needs: [txn(AclOperation.DESCRIBE)], refused: 'absent',
    request: () => createListTransactionsRequest({ durationFilter: -1n }),
    outcome: (r) => (r.transactionStates.some((t: Response) => t.transactionalId === TXN) ? 'listed' : 'absent') },
];

/** APIs Kafka answers without an ACL: the connection's login itself, and the cluster's brokers. */
const UNCHECKED = new Set<number>([ApiKey.SaslHandshake, ApiKey.ApiVersions, ApiKey.SaslAuthenticate, ApiKey.DescribeCluster]);

const dataDir = mkdtempSync(join(tmpdir(), 'millrace-acl-'));
let broker: Broker;
let admin: WireClient;
let carol: WireClient;

async function as<T = Response>(client: WireClient, key: number, version: number, request: object): Promise<T> {
  return client.request<T>(key, version, request);
}

async function grant(grants: Grant[]): Promise<void> {
  const r = await as(admin, ApiKey.CreateAcls, 2, createCreateAclsRequest({
    creations: grants.map((g) => createCreateAclsRequestAclCreation({ resourceType: g.type, resourceName: g.name, resourcePatternType: PatternType.LITERAL, principal: 'User:carol', host: '*', operation: g.operation, permissionType: PermissionType.ALLOW })),
  }));
  for (const result of r.results) assert.equal(result.errorCode, ErrorCode.NONE, result.errorMessage);
}

async function revokeAll(): Promise<void> {
  await as(admin, ApiKey.DeleteAcls, 2, createDeleteAclsRequest({ filters: [createDeleteAclsRequestDeleteAclsFilter({ resourceTypeFilter: ResourceType.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY, principalFilter: 'User:carol', hostFilter: null, operation: AclOperation.ANY, permissionType: PermissionType.ANY })] }));
}

before(async () => {
  broker = await Broker.start({
    dataDir, host: '127.0.0.1', port: 0, log: silentLogger,
    config: buildBrokerConfig({ listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users': 'User:admin', 'auto.create.topics.enable': 'false' }),
    addScram: ['SCRAM-SHA-256=[name=admin,password=admin-secret]', 'SCRAM-SHA-256=[name=carol,password=carol-secret]'].map(parseAddScram),
  });
  admin = await scramLoggedIn(broker.port, 'SCRAM-SHA-256', 'admin', 'admin-secret');
  carol = await scramLoggedIn(broker.port, 'SCRAM-SHA-256', 'carol', 'carol-secret');
  // What the cases act on, made by the super user: two topics with a record, two groups with commits, a transactional id.
  const created = await as(admin, ApiKey.CreateTopics, 5, createCreateTopicsRequest({ timeoutMs: 5000, topics: ['acl-topic', 'acl-doomed'].map((name) => createCreateTopicsRequestCreatableTopic({ name, numPartitions: 1, replicationFactor: 1 })) }));
  for (const t of created.topics) assert.equal(t.errorCode, ErrorCode.NONE);
  for (const c of CASES.slice(0, 1)) assert.equal(c.outcome(await as(admin, c.key, c.version, c.request())), ErrorCode.NONE);
  for (const groupId of [GROUP, 'acl-doomed-group']) {
    const committed = await as(admin, ApiKey.OffsetCommit, 8, createOffsetCommitRequest({ groupId, generationIdOrMemberEpoch: -1, memberId: '', topics: [createOffsetCommitRequestOffsetCommitRequestTopic({ name: TOPIC, partitions: [createOffsetCommitRequestOffsetCommitRequestPartition({ partitionIndex: 0, committedOffset: 1n })] })] }));
    assert.equal(partitionOf(committed), ErrorCode.NONE);
  }
  assert.equal((await as(admin, ApiKey.InitProducerId, 4, createInitProducerIdRequest({ transactionalId: TXN, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }))).errorCode, ErrorCode.NONE);
});

after(async () => {
  admin?.close();
  carol?.close();
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const show = (outcome: number | string) => (typeof outcome === 'number' ? errorName(outcome) : outcome);

for (const c of CASES) {
  const api = nameOf(ApiKey, c.key);
  test(`${api}: refused (${show(c.refused)}) without ${describeNeeds(c.needs)}, served with it`, async () => {
    await revokeAll();
    assert.equal(show(c.outcome(await as(carol, c.key, c.version, c.request()))), show(c.refused), 'without the ACLs');
    await grant(c.needs);
    const served = c.outcome(await as(carol, c.key, c.version, c.request()));
    assert.ok(served === 'listed' || (typeof served === 'number' && !AUTHORIZATION_ERRORS.has(served)), `with the ACLs: ${show(served)}`);
    // Each needed ACL is needed: without any one of them, the API is refused again.
    for (const missing of c.needs.length > 1 ? c.needs : []) {
      await revokeAll();
      await grant(c.needs.filter((g) => g !== missing));
      const without = c.outcome(await as(carol, c.key, c.version, c.request()));
      assert.ok(without === 'absent' || (typeof without === 'number' && AUTHORIZATION_ERRORS.has(without)), `without ${describeNeeds([missing])}: ${show(without)}`);
    }
    await revokeAll();
  });
}

test('every API the broker serves is either checked above or one Kafka answers without an ACL', () => {
  const covered = new Set([...CASES.map((c) => c.key), ...UNCHECKED]);
  const missing = [...broker.state.handlers.keys()].filter((k) => !covered.has(k)).map((k) => nameOf(ApiKey, k));
  assert.deepEqual(missing, []);
});

test('DescribeCluster is answered without an ACL, as Kafka answers it', async () => {
  await revokeAll();
  assert.equal((await as(carol, ApiKey.DescribeCluster, 0, createDescribeClusterRequest())).errorCode, ErrorCode.NONE);
});

test('docs/security.md lists what each API needs, as these cases find it', () => {
  const page = readFileSync(new URL('../../../../docs/security.md', import.meta.url), 'utf8');
  const rows = CASES.map((c) => `| ${c.key} | ${nameOf(ApiKey, c.key)} | ${describeNeeds(c.needs)} | ${show(c.refused)} |`);
  assert.deepEqual(rows.filter((row) => !page.includes(row)), [], 'rows docs/security.md lacks');
});

function describeNeeds(needs: Grant[]): string {
  return needs.map((g) => `${nameOf(AclOperation, g.operation)} on ${nameOf(ResourceType, g.type)}`).join(' + ');
}
