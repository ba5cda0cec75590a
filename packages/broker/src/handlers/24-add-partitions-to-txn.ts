import {
  type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse, ApiKey, createAddPartitionsToTxnResponse,
  createAddPartitionsToTxnResponseAddPartitionsToTxnPartitionResult, createAddPartitionsToTxnResponseAddPartitionsToTxnTopicResult, ErrorCode,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canTopic, canTransactionalId } from '../security/authorizer.ts';
import { partitionKey } from '../txn/txn-records.ts';

/** Adds partitions to a producer's transaction before it writes to them (the client's own versions, 0-3). */
export const addPartitionsToTxnHandler: Handler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> = {
  apiKey: ApiKey.AddPartitionsToTxn,
  // v4+ are broker-to-broker (KIP-890 verification).
  versions: { min: 0, max: 3 },
  async handle(ctx, request) {
    const partitions = request.v3AndBelowTopics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
    const fenced = ctx.apiVersion >= 2 ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
    // Kafka's answers: every partition refused for the transactional id; else the topics not writable
    // refused and the others OPERATION_NOT_ATTEMPTED, nothing added.
    const refusedTopics = new Set(request.v3AndBelowTopics.filter((t) => !canTopic(ctx, t.name, AclOperation.WRITE)).map((t) => t.name));
    const refusal = !canTransactionalId(ctx, request.v3AndBelowTransactionalId, AclOperation.WRITE) ? () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
      : refusedTopics.size > 0 ? (topic: string) => (refusedTopics.has(topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED) : null;
    const results = refusal
      ? new Map(partitions.map((p) => [partitionKey(p.topic, p.partition), refusal(p.topic)]))
      : await ctx.broker.transactions.addPartitions(request.v3AndBelowTransactionalId, Number(request.v3AndBelowProducerId), request.v3AndBelowProducerEpoch, partitions, fenced);
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
