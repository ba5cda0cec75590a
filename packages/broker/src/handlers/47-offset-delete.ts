import {
  ApiKey, createOffsetDeleteResponse, createOffsetDeleteResponseOffsetDeleteResponsePartition,
  createOffsetDeleteResponseOffsetDeleteResponseTopic, ErrorCode, type OffsetDeleteRequest, type OffsetDeleteResponse,
} from '@millrace/protocol';
import { subscribedTopics } from '../group/subscriptions.ts';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canGroup, canTopic } from '../security/authorizer.ts';
import { coordinatorOrStorageErrorCode } from '../storage-errors.ts';

/** Deletes a group's committed offsets for some partitions, unless active members subscribe to the topic. */
export const offsetDeleteHandler: Handler<OffsetDeleteRequest, OffsetDeleteResponse> = {
  apiKey: ApiKey.OffsetDelete,
  versions: { min: 0, max: 0 },
  async handle(ctx, request) {
    const coordinator = ctx.broker.groups;
    if (request.groupId === '') return createOffsetDeleteResponse({ errorCode: ErrorCode.INVALID_GROUP_ID });
    if (!canGroup(ctx, request.groupId, AclOperation.DELETE)) return createOffsetDeleteResponse({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
    const refused = coordinator.errorFor(request.groupId);
    if (refused !== ErrorCode.NONE) return createOffsetDeleteResponse({ errorCode: refused });
    if (!coordinator.groupIds().includes(request.groupId)) return createOffsetDeleteResponse({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
    const group = coordinator.group(request.groupId);
    const subscribed = group ? subscribedTopics(group) : new Set<string>();
    const deletions: { topic: string; partition: number }[] = [];
    const topics = request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        let errorCode: number = ErrorCode.NONE;
        if (!canTopic(ctx, t.name, AclOperation.READ)) errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        else if (subscribed.has(t.name)) errorCode = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;
        else if (!ctx.broker.topics.partition(t.name, p.partitionIndex)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (coordinator.offsets.fetch(request.groupId, t.name, p.partitionIndex)) deletions.push({ topic: t.name, partition: p.partitionIndex });
        return { partitionIndex: p.partitionIndex, errorCode };
      }),
    }));
    try {
      await coordinator.offsets.delete(request.groupId, deletions, ctx.broker.now());
    } catch (err) {
      return createOffsetDeleteResponse({ errorCode: coordinatorOrStorageErrorCode(err, ctx.broker.log) });
    }
    return createOffsetDeleteResponse({
      topics: topics.map((t) =>
        createOffsetDeleteResponseOffsetDeleteResponseTopic({ name: t.name, partitions: t.partitions.map((p) => createOffsetDeleteResponseOffsetDeleteResponsePartition(p)) }),
      ),
    });
  },
};
