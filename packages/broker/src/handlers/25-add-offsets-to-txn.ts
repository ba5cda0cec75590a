import { type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse, ApiKey, createAddOffsetsToTxnResponse, ErrorCode } from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canGroup, canTransactionalId } from '../security/authorizer.ts';

/** Adds a consumer group's offsets partition to the transaction, before TxnOffsetCommit (send_offsets_to_transaction). */
export const addOffsetsToTxnHandler: Handler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> = {
  apiKey: ApiKey.AddOffsetsToTxn,
  // v4 belongs to KIP-890.
  versions: { min: 0, max: 3 },
  async handle(ctx, request) {
    const fenced = ctx.apiVersion >= 2 ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
    if (!canTransactionalId(ctx, request.transactionalId, AclOperation.WRITE)) return createAddOffsetsToTxnResponse({ errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
    if (!canGroup(ctx, request.groupId, AclOperation.READ)) return createAddOffsetsToTxnResponse({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
    const errorCode = await ctx.broker.transactions.addOffsets(request.transactionalId, Number(request.producerId), request.producerEpoch, request.groupId, fenced);
    return createAddOffsetsToTxnResponse({ errorCode });
  },
};
