import {
  ApiKey, createMetadataResponse, createMetadataResponseMetadataResponseBroker,
  createMetadataResponseMetadataResponsePartition, createMetadataResponseMetadataResponseTopic, ErrorCode, type MetadataResponseMetadataResponsePartition,
  type MetadataRequest, type MetadataResponse, type MetadataResponseMetadataResponseTopic, ZERO_UUID,
} from '@millrace/protocol';
import { AUTHORIZED_OPERATIONS_OMITTED, type BrokerState, type Handler, type RequestContext } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canCluster, canTopic } from '../security/authorizer.ts';
import { autoCreateTopic } from '../auto-create.ts';
import { isFailure, type Topic } from '../topic-manager.ts';
import { type ClusterNode, NO_LEADER } from '@millrace/cluster';
import { isClusterTopic } from '../replication/cluster-topics.ts';
import { controllerId, liveBrokers } from '../replication/cluster-brokers.ts';


export function describeTopic(state: BrokerState, topic: Topic): MetadataResponseMetadataResponseTopic {
  return createMetadataResponseMetadataResponseTopic({
    name: topic.record.name,
    topicId: topic.record.id,
    isInternal: topic.record.name.startsWith('__'),
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    partitions: state.cluster ? describeClusterPartitions(state.cluster, topic) : describeLocalPartitions(state, topic),
  });
}

function describeLocalPartitions(state: BrokerState, topic: Topic): MetadataResponseMetadataResponsePartition[] {
  const nodeId = state.identity.nodeId;
  return topic.partitions.map((p) =>
    createMetadataResponseMetadataResponsePartition({
      partitionIndex: p.index,
      leaderId: nodeId,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: [nodeId],
      isrNodes: [nodeId],
      // A log that is offline (corrupt, or its disk failed) answers every client with this error.
      errorCode: p.log.offlineReason ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.NONE,
      offlineReplicas: p.log.offlineReason ? [nodeId] : [],
    }),
  );
}

/** Leaders, replicas and ISRs as the cluster's metadata has them; replicas of unregistered brokers are offline. */
function describeClusterPartitions(cluster: ClusterNode, topic: Topic): MetadataResponseMetadataResponsePartition[] {
  const view = cluster.view;
  const assignment = view.topicsById.get(topic.record.id)?.assignment;
  return topic.partitions.map((p) => {
    const state = view.partition(topic.record.id, p.index)?.state;
    const replicas = assignment?.replicas[p.index] ?? [];
    return createMetadataResponseMetadataResponsePartition({
      partitionIndex: p.index,
      leaderId: state?.leader ?? NO_LEADER,
      leaderEpoch: state?.leaderEpoch ?? -1,
      replicaNodes: replicas,
      isrNodes: state?.isr ?? [],
      errorCode: state && state.leader !== NO_LEADER ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
      offlineReplicas: replicas.filter((r) => !view.brokers.has(r)),
    });
  });
}

function unknownTopic(name: string | null, topicId: string, errorCode: number): MetadataResponseMetadataResponseTopic {
  return createMetadataResponseMetadataResponseTopic({ name, topicId, errorCode, topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED });
}

async function topicFor(ctx: RequestContext, name: string | null, topicId: string, allowAutoCreate: boolean) {
  const topics = ctx.broker.topics;
  if (name === null) {
    const byId = topics.getById(topicId);
    if (byId && !canTopic(ctx, byId.record.name, AclOperation.DESCRIBE)) return unknownTopic(null, topicId, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    return byId ? describeTopic(ctx.broker, byId) : unknownTopic(null, topicId, ErrorCode.UNKNOWN_TOPIC_ID);
  }
  if (!canTopic(ctx, name, AclOperation.DESCRIBE)) return unknownTopic(name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  const existing = topics.get(name);
  if (existing) return describeTopic(ctx.broker, existing);
  // Auto-creation needs CREATE on the cluster or on the topic, as CreateTopics does.
  const mayCreate = canCluster(ctx, AclOperation.CREATE) || canTopic(ctx, name, AclOperation.CREATE);
  if (!allowAutoCreate || !mayCreate) return unknownTopic(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const created = await autoCreateTopic(ctx.broker, name);
  return isFailure(created) ? unknownTopic(name, ZERO_UUID, created.errorCode) : describeTopic(ctx.broker, created);
}

export const metadataHandler: Handler<MetadataRequest, MetadataResponse> = {
  apiKey: ApiKey.Metadata,
  versions: { min: 0, max: 12 },
  async handle(ctx, request) {
    const state = ctx.broker;
    // v0 has no null: an empty list means every topic. From v1 on, null means all and [] means none.
    const all = request.topics === null || (ctx.apiVersion === 0 && request.topics.length === 0);
    const allowAutoCreate = (ctx.apiVersion < 4 || request.allowAutoTopicCreation) && state.config.values['auto.create.topics.enable'] === 'true';
    const topics: MetadataResponseMetadataResponseTopic[] = [];
    if (all) {
      // Topics the principal may not describe are left out, not reported (Kafka's rule).
      for (const topic of state.topics.list()) if (isClusterTopic(state, topic) && canTopic(ctx, topic.record.name, AclOperation.DESCRIBE)) topics.push(describeTopic(state, topic));
    } else {
      for (const t of request.topics!) topics.push(await topicFor(ctx, t.name, t.topicId, allowAutoCreate));
    }
    return createMetadataResponse({
      brokers: liveBrokers(state, ctx.session.listener.name).map((b) => createMetadataResponseMetadataResponseBroker({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
      clusterId: state.identity.clusterId,
      controllerId: controllerId(state),
      topics,
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    });
  },
};
