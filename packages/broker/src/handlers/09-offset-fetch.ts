import {
  ApiKey, createOffsetFetchResponse, createOffsetFetchResponseOffsetFetchResponseGroup,
  createOffsetFetchResponseOffsetFetchResponsePartition, createOffsetFetchResponseOffsetFetchResponsePartitions,
  createOffsetFetchResponseOffsetFetchResponseTopic, createOffsetFetchResponseOffsetFetchResponseTopics, ErrorCode,
  type OffsetFetchRequest, type OffsetFetchResponse,
} from '@millrace/protocol';
import type { Handler, RequestContext } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canGroup, canTopic } from '../security/authorizer.ts';

interface Answer {
  name: string;
  partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; metadata: string; errorCode: number }[];
}

/**
 * The committed offsets of one group: of the partitions asked, or of every partition with a commit
 * when `topics` is null. With `requireStable` (v7+, READ_COMMITTED consumers), a partition whose
 * offset a transaction has committed but not yet ended answers UNSTABLE_OFFSET_COMMIT, and the
 * client asks again.
 */
function lookup(ctx: RequestContext, groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, requireStable: boolean): Answer[] {
  const offsets = ctx.broker.groups.offsets;
  // Of every committed topic, only those the principal may describe; a topic asked by name is refused instead.
  const wanted = topics ?? groupByTopic(offsets.committed(groupId).map((c) => ({ topic: c.topic, partition: c.partition }))).filter((t) => canTopic(ctx, t.name, AclOperation.DESCRIBE));
  return wanted.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => {
      if (!canTopic(ctx, t.name, AclOperation.DESCRIBE)) return { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
      const committed = offsets.fetch(groupId, t.name, partitionIndex);
      return {
        partitionIndex,
        // No commit: offset -1 and empty metadata, which clients read as "use auto.offset.reset".
        committedOffset: BigInt(committed?.offset ?? -1),
        committedLeaderEpoch: committed?.leaderEpoch ?? -1,
        metadata: committed?.metadata ?? '',
        errorCode: requireStable && offsets.hasPendingCommit(groupId, t.name, partitionIndex) ? ErrorCode.UNSTABLE_OFFSET_COMMIT : ErrorCode.NONE,
      };
    }),
  }));
}

function groupByTopic(entries: { topic: string; partition: number }[]): { name: string; partitionIndexes: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const e of entries) byTopic.set(e.topic, [...(byTopic.get(e.topic) ?? []), e.partition]);
  return [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes: partitionIndexes.sort((a, b) => a - b) }));
}

export const offsetFetchHandler: Handler<OffsetFetchRequest, OffsetFetchResponse> = {
  apiKey: ApiKey.OffsetFetch,
  // v8 batches groups; v9 is the KIP-848 consumer protocol.
  versions: { min: 0, max: 8 },
  handle(ctx, request) {
    const groupError = (groupId: string) => (canGroup(ctx, groupId, AclOperation.DESCRIBE) ? ctx.broker.groups.errorFor(groupId) : ErrorCode.GROUP_AUTHORIZATION_FAILED);
    if (ctx.apiVersion >= 8) {
      return createOffsetFetchResponse({
        groups: request.groups.map((g) =>
          createOffsetFetchResponseOffsetFetchResponseGroup({
            groupId: g.groupId,
            errorCode: groupError(g.groupId),
            topics: groupError(g.groupId) !== ErrorCode.NONE ? [] : lookup(ctx, g.groupId, g.topics, request.requireStable).map((t) =>
              createOffsetFetchResponseOffsetFetchResponseTopics({ name: t.name, partitions: t.partitions.map((p) => createOffsetFetchResponseOffsetFetchResponsePartitions(p)) }),
            ),
          }),
        ),
      });
    }
    if (request.groupId === '') return createOffsetFetchResponse({ errorCode: ErrorCode.INVALID_GROUP_ID });
    const refused = groupError(request.groupId);
    if (refused !== ErrorCode.NONE) return createOffsetFetchResponse({ errorCode: refused });
    return createOffsetFetchResponse({
      topics: lookup(ctx, request.groupId, request.topics, ctx.apiVersion >= 7 && request.requireStable).map((t) =>
        createOffsetFetchResponseOffsetFetchResponseTopic({ name: t.name, partitions: t.partitions.map((p) => createOffsetFetchResponseOffsetFetchResponsePartition(p)) }),
      ),
    });
  },
};
