import {
  ApiKey, createCreatePartitionsResponse, createCreatePartitionsResponseCreatePartitionsTopicResult,
  type CreatePartitionsRequest, type CreatePartitionsResponse, ErrorCode,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canTopic } from '../security/authorizer.ts';
import { MAX_PARTITIONS } from '../topic-manager.ts';
import { updateClusterTopic } from '../replication/cluster-topics.ts';
import { mutationQuota, THROTTLED_MESSAGE } from '../quota/quota-client.ts';

export const createPartitionsHandler: Handler<CreatePartitionsRequest, CreatePartitionsResponse> = {
  apiKey: ApiKey.CreatePartitions,
  versions: { min: 0, max: 3 },
  async handle(ctx, request) {
    const state = ctx.broker;
    // v3+ clients retry a topic refused with THROTTLING_QUOTA_EXCEEDED (KIP-599).
    const quota = mutationQuota(ctx, 3);
    const results = [];
    for (const t of request.topics) {
      const topic = state.topics.get(t.name);
      const current = topic?.partitions.length ?? 0;
      let errorCode: number = ErrorCode.NONE;
      let errorMessage: string | null = null;
      if (!canTopic(ctx, t.name, AclOperation.ALTER)) {
        errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        errorMessage = 'ALTER on the topic is needed';
      } else if (!topic) {
        errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        errorMessage = `topic '${t.name}' does not exist`;
      } else if (t.count <= current) {
        errorCode = ErrorCode.INVALID_PARTITIONS;
        errorMessage = `topic '${t.name}' has ${current} partition(s); the new count must be larger, not ${t.count}`;
      } else if (t.count > MAX_PARTITIONS) {
        errorCode = ErrorCode.INVALID_PARTITIONS;
        errorMessage = `at most ${MAX_PARTITIONS} partitions per topic`;
      } else if (state.cluster && t.assignments && (t.assignments.length !== t.count - current || t.assignments.some((a) => a.brokerIds.length === 0 || new Set(a.brokerIds).size !== a.brokerIds.length || a.brokerIds.some((id) => !state.cluster!.view.brokers.has(id))))) {
        errorCode = ErrorCode.INVALID_REPLICA_ASSIGNMENT;
        errorMessage = `assignments must name distinct live brokers for each of the ${t.count - current} new partition(s)`;
      } else if (!state.cluster && t.assignments && (t.assignments.length !== t.count - current || t.assignments.some((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== state.identity.nodeId))) {
        errorCode = ErrorCode.INVALID_REPLICA_ASSIGNMENT;
        errorMessage = `assignments must name broker ${state.identity.nodeId} once for each of the ${t.count - current} new partition(s)`;
      } else if (!request.validateOnly && !quota.admit(t.count - current)) {
        errorCode = ErrorCode.THROTTLING_QUOTA_EXCEEDED;
        errorMessage = THROTTLED_MESSAGE;
      } else if (!request.validateOnly && state.cluster) {
        const failed = await updateClusterTopic(state, t.name, { partitions: t.count, replicas: t.assignments?.map((a) => a.brokerIds) });
        if (failed) ({ errorCode, message: errorMessage } = failed);
        else state.log.info(`topic ${t.name} now has ${t.count} partitions in the cluster`);
      } else if (!request.validateOnly) {
        await state.topics.addPartitions(t.name, t.count);
        state.log.info(`topic ${t.name} now has ${t.count} partitions`);
      }
      results.push(createCreatePartitionsResponseCreatePartitionsTopicResult({ name: t.name, errorCode, errorMessage }));
    }
    ctx.throttleMs = quota.throttleMs();
    return createCreatePartitionsResponse({ results });
  },
};
