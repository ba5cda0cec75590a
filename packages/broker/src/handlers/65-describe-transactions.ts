import {
  ApiKey, createDescribeTransactionsResponse, createDescribeTransactionsResponseTopicData, createDescribeTransactionsResponseTransactionState,
  type DescribeTransactionsRequest, type DescribeTransactionsResponse, ErrorCode,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canTransactionalId } from '../security/authorizer.ts';
import { splitPartitionKey, TXN_STATUS_NAMES } from '../txn/txn-records.ts';

/** A transactional id's producer, state, timeout and the partitions of its open transaction. */
export const describeTransactionsHandler: Handler<DescribeTransactionsRequest, DescribeTransactionsResponse> = {
  apiKey: ApiKey.DescribeTransactions,
  versions: { min: 0, max: 0 },
  handle(ctx, request) {
    return createDescribeTransactionsResponse({
      transactionStates: request.transactionalIds.map((id) => {
        if (!canTransactionalId(ctx, id, AclOperation.DESCRIBE)) return createDescribeTransactionsResponseTransactionState({ transactionalId: id, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
        const notHere = ctx.broker.transactions.errorFor(id);
        if (notHere !== ErrorCode.NONE) return createDescribeTransactionsResponseTransactionState({ transactionalId: id, errorCode: notHere });
        const m = ctx.broker.transactions.describe(id);
        if (!m) return createDescribeTransactionsResponseTransactionState({ transactionalId: id, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND });
        const byTopic = new Map<string, number[]>();
        for (const key of m.partitions) {
          const { topic, partition } = splitPartitionKey(key);
          byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
        }
        return createDescribeTransactionsResponseTransactionState({
          transactionalId: id,
          transactionState: TXN_STATUS_NAMES[m.status],
          transactionTimeoutMs: m.timeoutMs,
          transactionStartTimeMs: BigInt(m.startMs),
          producerId: BigInt(m.producerId),
          producerEpoch: m.producerEpoch,
          topics: [...byTopic].map(([topic, partitions]) => createDescribeTransactionsResponseTopicData({ topic, partitions })),
        });
      }),
    });
  },
};
