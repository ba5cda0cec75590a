import { ApiKey, createInitProducerIdResponse, ErrorCode, type InitProducerIdRequest, type InitProducerIdResponse } from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canTransactionalId, mayProduceIdempotently } from '../security/authorizer.ts';

/**
 * Gives a producer its id and epoch. Without a transactional id: a fresh id with epoch 0 on every
 * call, including KIP-360's epoch bump (v3+ with the current id and epoch), as Kafka answers
 * idempotent producers. With one: the transaction coordinator's id for it, its epoch bumped, which
 * fences an older producer of the same transactional id and aborts its open transaction.
 */
export const initProducerIdHandler: Handler<InitProducerIdRequest, InitProducerIdResponse> = {
  apiKey: ApiKey.InitProducerId,
  // v5 belongs to KIP-890 (transaction.version 2), which is not advertised.
  versions: { min: 0, max: 4 },
  async handle(ctx, request) {
    if (request.transactionalId === null) {
      if (!mayProduceIdempotently(ctx)) return createInitProducerIdResponse({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 });
      const producerId = await ctx.broker.producerIds.allocate();
      return createInitProducerIdResponse({ producerId: BigInt(producerId), producerEpoch: 0 });
    }
    if (request.transactionalId === '') return createInitProducerIdResponse({ errorCode: ErrorCode.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 });
    if (!canTransactionalId(ctx, request.transactionalId, AclOperation.WRITE)) return createInitProducerIdResponse({ errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 });
    const result = await ctx.broker.transactions.initProducerId(request.transactionalId, request.transactionTimeoutMs, {
      producerId: ctx.apiVersion >= 3 ? Number(request.producerId) : -1,
      producerEpoch: ctx.apiVersion >= 3 ? request.producerEpoch : -1,
    });
    // PRODUCER_FENCED is known to clients from v4; older ones are told INVALID_PRODUCER_EPOCH.
    const errorCode = result.errorCode === ErrorCode.PRODUCER_FENCED && ctx.apiVersion < 4 ? ErrorCode.INVALID_PRODUCER_EPOCH : result.errorCode;
    return createInitProducerIdResponse({ errorCode, producerId: BigInt(result.producerId), producerEpoch: result.producerEpoch });
  },
};
