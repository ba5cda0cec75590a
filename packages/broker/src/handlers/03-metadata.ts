import {
  ApiKey, createMetadataResponse, createMetadataResponseMetadataResponseBroker,
  createMetadataResponseMetadataResponsePartition, createMetadataResponseMetadataResponseTopic, ErrorCode,
  type MetadataRequest, type MetadataResponse, type MetadataResponseMetadataResponseTopic, ZERO_UUID,
} from '@millrace/protocol';
import { AUTHORIZED_OPERATIONS_OMITTED, type BrokerState, type Handler, type RequestContext } from '../handler.ts';
import { autoCreateTopic } from '../auto-create.ts';
import { isFailure, type Topic } from '../topic-manager.ts';


export function describeTopic(state: BrokerState, topic: Topic): MetadataResponseMetadataResponseTopic {
  const nodeId = state.identity.nodeId;
  return createMetadataResponseMetadataResponseTopic({
    name: topic.record.name,
    topicId: topic.record.id,
    isInternal: topic.record.name.startsWith('__'),
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    partitions: topic.partitions.map((p) =>
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
    ),
  });
}

function unknownTopic(name: string | null, topicId: string, errorCode: number): MetadataResponseMetadataResponseTopic {
  return createMetadataResponseMetadataResponseTopic({ name, topicId, errorCode, topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED });
}

async function topicFor(ctx: RequestContext, name: string | null, topicId: string, allowAutoCreate: boolean) {
  const topics = ctx.broker.topics;
  if (name === null) {
    const byId = topics.getById(topicId);
    return byId ? describeTopic(ctx.broker, byId) : unknownTopic(null, topicId, ErrorCode.UNKNOWN_TOPIC_ID);
  }
  const existing = topics.get(name);
  if (existing) return describeTopic(ctx.broker, existing);
  if (!allowAutoCreate) return unknownTopic(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
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
      for (const topic of state.topics.list()) topics.push(describeTopic(state, topic));
    } else {
      for (const t of request.topics!) topics.push(await topicFor(ctx, t.name, t.topicId, allowAutoCreate));
    }
    return createMetadataResponse({
      brokers: [createMetadataResponseMetadataResponseBroker({ nodeId: state.identity.nodeId, host: state.advertised.host, port: state.advertised.port })],
      clusterId: state.identity.clusterId,
      controllerId: state.identity.nodeId,
      topics,
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    });
  },
};
