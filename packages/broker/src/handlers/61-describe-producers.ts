import {
  ApiKey, createDescribeProducersResponse, createDescribeProducersResponsePartitionResponse, createDescribeProducersResponseProducerState,
  createDescribeProducersResponseTopicResponse, type DescribeProducersRequest, type DescribeProducersResponse, ErrorCode,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canTopic } from '../security/authorizer.ts';

/** The idempotent and transactional producers each partition knows (kafka-transactions.sh describe-producers). */
export const describeProducersHandler: Handler<DescribeProducersRequest, DescribeProducersResponse> = {
  apiKey: ApiKey.DescribeProducers,
  versions: { min: 0, max: 0 },
  handle(ctx, request) {
    return createDescribeProducersResponse({
      topics: request.topics.map((t) =>
        createDescribeProducersResponseTopicResponse({
          name: t.name,
          partitions: t.partitionIndexes.map((index) => {
            if (!canTopic(ctx, t.name, AclOperation.READ)) return createDescribeProducersResponsePartitionResponse({ partitionIndex: index, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED });
            const partition = ctx.broker.topics.partition(t.name, index);
            if (!partition) return createDescribeProducersResponsePartitionResponse({ partitionIndex: index, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
            if (partition.log.offlineReason) return createDescribeProducersResponsePartitionResponse({ partitionIndex: index, errorCode: ErrorCode.KAFKA_STORAGE_ERROR });
            return createDescribeProducersResponsePartitionResponse({
              partitionIndex: index,
              activeProducers: partition.log.activeProducers().map((p) =>
                createDescribeProducersResponseProducerState({
                  producerId: BigInt(p.producerId),
                  producerEpoch: p.producerEpoch,
                  lastSequence: p.lastSequence,
                  lastTimestamp: BigInt(p.lastTimestamp),
                  coordinatorEpoch: -1,
                  currentTxnStartOffset: BigInt(p.currentTxnStartOffset),
                }),
              ),
            });
          }),
        }),
      ),
    });
  },
};
