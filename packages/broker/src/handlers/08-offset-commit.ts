import {
  ApiKey, createOffsetCommitResponse, createOffsetCommitResponseOffsetCommitResponsePartition,
  createOffsetCommitResponseOffsetCommitResponseTopic, ErrorCode, type OffsetCommitRequest, type OffsetCommitResponse,
} from '@millrace/protocol';
import { GroupState } from '../group/group.ts';
import type { OffsetCommit } from '../group/offset-store.ts';
import type { Handler, RequestContext } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canGroup, canTopic } from '../security/authorizer.ts';
import { coordinatorOrStorageErrorCode } from '../storage-errors.ts';

/** The error for a whole commit from this member, or NONE (Kafka's member and generation checks). */
function memberError(ctx: RequestContext, request: OffsetCommitRequest): number {
  if (request.groupId === '') return ErrorCode.INVALID_GROUP_ID;
  if (!canGroup(ctx, request.groupId, AclOperation.READ)) return ErrorCode.GROUP_AUTHORIZATION_FAILED;
  const coordinator = ctx.broker.groups.errorFor(request.groupId);
  if (coordinator !== ErrorCode.NONE) return coordinator;
  const group = ctx.broker.groups.group(request.groupId);
  const generation = ctx.apiVersion >= 1 ? request.generationIdOrMemberEpoch : -1;
  if (generation < 0 && request.memberId === '') {
    // A commit from outside the group (assign() consumers, admin tools): only while nobody is a member.
    return !group || group.members.size === 0 ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }
  const member = group?.members.get(request.memberId);
  if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (ctx.apiVersion >= 7 && request.groupInstanceId !== member.groupInstanceId) return ErrorCode.FENCED_INSTANCE_ID;
  if (generation !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  // Members may commit while the group prepares a rebalance (eager consumers commit before they rejoin),
  // but not between the join and the leader's assignment.
  if (group.state === GroupState.COMPLETING_REBALANCE) return ErrorCode.REBALANCE_IN_PROGRESS;
  return ErrorCode.NONE;
}

export const offsetCommitHandler: Handler<OffsetCommitRequest, OffsetCommitResponse> = {
  apiKey: ApiKey.OffsetCommit,
  // v9 is the KIP-848 consumer protocol's member epoch.
  versions: { min: 0, max: 8 },
  async handle(ctx, request) {
    const state = ctx.broker;
    const groupError = memberError(ctx, request);
    const now = state.now();
    const commits: OffsetCommit[] = [];
    const results = request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        let errorCode: number = groupError;
        const metadata = p.committedMetadata ?? '';
        if (errorCode === ErrorCode.NONE && !canTopic(ctx, t.name, AclOperation.READ)) errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        else if (errorCode === ErrorCode.NONE && !state.topics.partition(t.name, p.partitionIndex)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (errorCode === ErrorCode.NONE && Buffer.byteLength(metadata) > state.groups.settings.maxMetadataBytes) errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        if (errorCode === ErrorCode.NONE) {
          commits.push({
            topic: t.name,
            partition: p.partitionIndex,
            offset: { offset: Number(p.committedOffset), leaderEpoch: ctx.apiVersion >= 6 ? p.committedLeaderEpoch : -1, metadata, commitTimestamp: now },
          });
        }
        return { partitionIndex: p.partitionIndex, errorCode };
      }),
    }));
    if (commits.length > 0) {
      try {
        await state.groups.offsets.commit(request.groupId, commits);
      } catch (err) {
        const code = coordinatorOrStorageErrorCode(err, state.log);
        for (const t of results) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = code;
      }
    }
    return createOffsetCommitResponse({
      topics: results.map((t) =>
        createOffsetCommitResponseOffsetCommitResponseTopic({ name: t.name, partitions: t.partitions.map((p) => createOffsetCommitResponseOffsetCommitResponsePartition(p)) }),
      ),
    });
  },
};
