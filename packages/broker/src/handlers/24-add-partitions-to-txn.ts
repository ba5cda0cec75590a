import {
  type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse, ApiKey, createAddPartitionsToTxnResponse,
  createAddPartitionsToTxnResponseAddPartitionsToTxnPartitionResult, createAddPartitionsToTxnResponseAddPartitionsToTxnTopicResult, ErrorCode,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { partitionKey } from '../txn/txn-records.ts';

/** Adds partitions to a producer's transaction before it writes to them (the client's own versions, 0-3). */
export const addPartitionsToTxnHandler: Handler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> = {
  apiKey: ApiKey.AddPartitionsToTxn,
  // v4+ are broker-to-broker (KIP-890 verification).
  versions: { min: 0, max: 3 },
  async handle(ctx, request) {
    const partitions = request.v3AndBelowTopics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
    const fenced = ctx.apiVersion >= 2 ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
    const results = await ctx.broker.transactions.addPartitions(request.v3AndBelowTransactionalId, Number(request.v3AndBelowProducerId), request.v3AndBelowProducerEpoch, partitions, fenced);
    return createAddPartitionsToTxnResponse({
      resultsByTopicV3AndBelow: request.v3AndBelowTopics.map((t) =>
        createAddPartitionsToTxnResponseAddPartitionsToTxnTopicResult({
          name: t.name,
          resultsByPartition: t.partitions.map((p) =>
            createAddPartitionsToTxnResponseAddPartitionsToTxnPartitionResult({ partitionIndex: p, partitionErrorCode: results.get(partitionKey(t.name, p)) ?? ErrorCode.NONE }),
          ),
        }),
      ),
    });
  },
};
