import {
  ApiKey, createTxnOffsetCommitResponse, createTxnOffsetCommitResponseTxnOffsetCommitResponsePartition,
  createTxnOffsetCommitResponseTxnOffsetCommitResponseTopic, ErrorCode, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse,
} from '@millrace/protocol';
import { ProducerSequenceError } from '@millrace/storage';
import type { OffsetCommit } from '../group/offset-store.ts';
import type { Handler, RequestContext } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canGroup, canTopic, canTransactionalId } from '../security/authorizer.ts';
import { coordinatorOrStorageErrorCode } from '../storage-errors.ts';

/**
 * KIP-447: a producer that names the consumer's member id and generation (v3+) is checked against
 * the group like a member's own commit, so a zombie from an old generation cannot commit; one that
 * names neither commits unchecked, as Kafka allows.
 */
function memberError(ctx: RequestContext, request: TxnOffsetCommitRequest): number {
  if (request.groupId === '') return ErrorCode.INVALID_GROUP_ID;
  const coordinator = ctx.broker.groups.errorFor(request.groupId);
  if (coordinator !== ErrorCode.NONE) return coordinator;
  if (ctx.apiVersion < 3 || (request.memberId === '' && request.generationId < 0)) return ErrorCode.NONE;
  const group = ctx.broker.groups.group(request.groupId);
  const member = group?.members.get(request.memberId);
  if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (request.groupInstanceId !== null && request.groupInstanceId !== member.groupInstanceId) return ErrorCode.FENCED_INSTANCE_ID;
  if (request.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  return ErrorCode.NONE;
}

/** Offsets committed inside a transaction: visible to OffsetFetch once the transaction commits, dropped if it aborts. */
export const txnOffsetCommitHandler: Handler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> = {
  apiKey: ApiKey.TxnOffsetCommit,
  // v4 belongs to KIP-890.
  versions: { min: 0, max: 3 },
  async handle(ctx, request) {
    const state = ctx.broker;
    let error = !canTransactionalId(ctx, request.transactionalId, AclOperation.WRITE) ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      : !canGroup(ctx, request.groupId, AclOperation.READ) ? ErrorCode.GROUP_AUTHORIZATION_FAILED : memberError(ctx, request);
    const refusedTopics = new Set(request.topics.filter((t) => !canTopic(ctx, t.name, AclOperation.READ)).map((t) => t.name));
    if (error === ErrorCode.NONE && refusedTopics.size > 0) error = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    const now = state.now();
    const commits: OffsetCommit[] = [];
    for (const t of request.topics) {
      for (const p of t.partitions) {
        const metadata = p.committedMetadata ?? '';
        commits.push({ topic: t.name, partition: p.partitionIndex, offset: { offset: Number(p.committedOffset), leaderEpoch: ctx.apiVersion >= 2 ? p.committedLeaderEpoch : -1, metadata, commitTimestamp: now } });
      }
    }
    if (error === ErrorCode.NONE) {
      try {
        await state.groups.offsets.commitTransactional(request.groupId, Number(request.producerId), request.producerEpoch, commits);
      } catch (err) {
        if (err instanceof ProducerSequenceError) error = ctx.apiVersion >= 2 ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
        else error = coordinatorOrStorageErrorCode(err, state.log);
      }
    }
    return createTxnOffsetCommitResponse({
      topics: request.topics.map((t) =>
        createTxnOffsetCommitResponseTxnOffsetCommitResponseTopic({
          name: t.name,
          // With a topic refused, nothing is committed: the refused topics say why, the others were not attempted.
          partitions: t.partitions.map((p) => createTxnOffsetCommitResponseTxnOffsetCommitResponsePartition({
            partitionIndex: p.partitionIndex,
            errorCode: error === ErrorCode.TOPIC_AUTHORIZATION_FAILED && !refusedTopics.has(t.name) ? ErrorCode.OPERATION_NOT_ATTEMPTED : error,
          })),
        }),
      ),
    });
  },
};
