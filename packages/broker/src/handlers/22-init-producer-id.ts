import { ApiKey, createInitProducerIdResponse, ErrorCode, type InitProducerIdRequest, type InitProducerIdResponse } from '@millrace/protocol';
import type { Handler } from '../handler.ts';

/**
 * Gives an idempotent producer its id (epoch 0). Every call gets a fresh id, including the epoch
 * bump of KIP-360 (v3+ with the current id and epoch), which Kafka also answers with a new id for
 * producers without a transactional id. Transactional ids need the transaction coordinator.
 */
export const initProducerIdHandler: Handler<InitProducerIdRequest, InitProducerIdResponse> = {
  apiKey: ApiKey.InitProducerId,
  // v5 belongs to KIP-890 (transaction.version 2), which is not advertised.
  versions: { min: 0, max: 4 },
  async handle(ctx, request) {
    if (request.transactionalId !== null) {
      ctx.broker.log.warn(`InitProducerId for transactional id '${request.transactionalId}' refused: transactions are not supported yet`);
      return createInitProducerIdResponse({ errorCode: ErrorCode.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 });
    }
    const producerId = await ctx.broker.producerIds.allocate();
    return createInitProducerIdResponse({ producerId: BigInt(producerId), producerEpoch: 0 });
  },
};
