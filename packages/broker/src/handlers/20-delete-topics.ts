import {
  ApiKey, createDeleteTopicsResponse, createDeleteTopicsResponseDeletableTopicResult, type DeleteTopicsRequest,
  type DeleteTopicsResponse, ErrorCode, ZERO_UUID,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canTopic } from '../security/authorizer.ts';
import { deleteClusterTopic } from '../replication/cluster-topics.ts';
import { mutationQuota, THROTTLED_MESSAGE } from '../quota/quota-client.ts';

export const deleteTopicsHandler: Handler<DeleteTopicsRequest, DeleteTopicsResponse> = {
  apiKey: ApiKey.DeleteTopics,
  versions: { min: 0, max: 6 },
  async handle(ctx, request) {
    const state = ctx.broker;
    // v6 names topics by name or by id; earlier versions by name only.
    const wanted = ctx.apiVersion >= 6 ? request.topics : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    // v5+ clients retry a topic refused with THROTTLING_QUOTA_EXCEEDED (KIP-599).
    const quota = mutationQuota(ctx, 5);
    const responses = [];
    for (const w of wanted) {
      const topic = w.name !== null ? state.topics.get(w.name) : state.topics.getById(w.topicId);
      const unknown = w.name !== null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID;
      let errorCode: number = topic ? ErrorCode.NONE : unknown;
      // Without DELETE (and DESCRIBE) on the topic, the principal learns nothing about it, not even that it exists.
      const named = topic?.record.name ?? w.name;
      if (named !== null && !canTopic(ctx, named, AclOperation.DELETE)) errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      else if (topic && state.config.values['delete.topic.enable'] !== 'true') errorCode = ErrorCode.TOPIC_DELETION_DISABLED;
      let errorMessage: string | null = null;
      if (topic && errorCode === ErrorCode.NONE && !quota.admit(topic.partitions.length)) {
        errorCode = ErrorCode.THROTTLING_QUOTA_EXCEEDED;
        errorMessage = THROTTLED_MESSAGE;
      } else if (topic && errorCode === ErrorCode.NONE && state.cluster) {
        // In a cluster the metadata is deleted; every broker then removes its logs as it sees that.
        const failure = await deleteClusterTopic(state, topic.record.name);
        if (failure) ({ errorCode, message: errorMessage } = failure);
      } else if (topic && errorCode === ErrorCode.NONE) {
        await state.topics.deleteTopic(topic.record.name);
      }
      if (topic && errorCode === ErrorCode.NONE) state.log.info(`deleted topic ${topic.record.name}`);
      responses.push(
        createDeleteTopicsResponseDeletableTopicResult({
          name: topic?.record.name ?? w.name,
          topicId: topic?.record.id ?? w.topicId,
          errorCode,
          errorMessage: errorMessage ?? (errorCode === ErrorCode.NONE ? null : errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED ? 'DELETE on the topic is needed' : topic ? 'topic deletion is disabled (delete.topic.enable=false)' : 'this topic does not exist'),
        }),
      );
    }
    ctx.throttleMs = quota.throttleMs();
    return createDeleteTopicsResponse({ responses });
  },
};
