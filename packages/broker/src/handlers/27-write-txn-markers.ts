import {
  ApiKey, createWriteTxnMarkersResponse, createWriteTxnMarkersResponseWritableTxnMarkerPartitionResult, createWriteTxnMarkersResponseWritableTxnMarkerResult,
  createWriteTxnMarkersResponseWritableTxnMarkerTopicResult, ErrorCode, type WriteTxnMarkersRequest, type WriteTxnMarkersResponse,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canCluster } from '../security/authorizer.ts';
import { writeMarker } from '../txn/write-marker.ts';

/**
 * Broker to broker: a transaction coordinator has the leaders of a transaction's partitions write
 * its commit or abort marker. Each partition answers once its marker is held by its ISR.
 */
export const writeTxnMarkersHandler: Handler<WriteTxnMarkersRequest, WriteTxnMarkersResponse> = {
  apiKey: ApiKey.WriteTxnMarkers,
  versions: { min: 0, max: 1 },
  async handle(ctx, request) {
    // Only brokers write markers: CLUSTER_ACTION on the cluster.
    const authorized = canCluster(ctx, AclOperation.CLUSTER_ACTION);
    const markers = request.markers.map(async (m) => {
      const marker = { producerId: Number(m.producerId), producerEpoch: m.producerEpoch, committed: m.transactionResult, coordinatorEpoch: m.coordinatorEpoch };
      const topics = m.topics.map(async (t) => {
        const partitions = t.partitionIndexes.map(async (index) => {
          const partition = ctx.broker.topics.partition(t.name, index);
          const errorCode = !authorized ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : partition ? await writeMarker(ctx.broker, partition, marker) : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          return createWriteTxnMarkersResponseWritableTxnMarkerPartitionResult({ partitionIndex: index, errorCode });
        });
        return createWriteTxnMarkersResponseWritableTxnMarkerTopicResult({ name: t.name, partitions: await Promise.all(partitions) });
      });
      return createWriteTxnMarkersResponseWritableTxnMarkerResult({ producerId: m.producerId, topics: await Promise.all(topics) });
    });
    return createWriteTxnMarkersResponse({ markers: await Promise.all(markers) });
  },
};
