import { ApiKey, createEndTxnResponse, type EndTxnRequest, type EndTxnResponse, ErrorCode } from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canTransactionalId } from '../security/authorizer.ts';

/** Commits or aborts the producer's transaction: the answer comes once every partition has its marker, durably. */
export const endTxnHandler: Handler<EndTxnRequest, EndTxnResponse> = {
  apiKey: ApiKey.EndTxn,
  // v4-5 belong to KIP-890 (transaction.version 2), which is not advertised.
  versions: { min: 0, max: 3 },
  async handle(ctx, request) {
    const fenced = ctx.apiVersion >= 2 ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
    if (!canTransactionalId(ctx, request.transactionalId, AclOperation.WRITE)) return createEndTxnResponse({ errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
    const errorCode = await ctx.broker.transactions.endTransaction(request.transactionalId, Number(request.producerId), request.producerEpoch, request.committed, fenced);
    return createEndTxnResponse({ errorCode });
  },
};
