import {
  ApiKey, createListOffsetsResponse, createListOffsetsResponseListOffsetsPartitionResponse,
  createListOffsetsResponseListOffsetsTopicResponse, ErrorCode, type ListOffsetsRequest, type ListOffsetsResponse,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import type { Partition } from '../partition.ts';

/** Kafka's special timestamps in ListOffsets. */
const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;

interface Found {
  offset: number;
  timestamp: number;
}

/** Offset for one ListOffsets query, or null when no record has a timestamp at or after the one asked. */
function lookup(p: Partition, timestamp: bigint): Found | null {
  const log = p.log;
  // Single broker, no tiered storage: the earliest local offset is the earliest offset.
  if (timestamp === EARLIEST || timestamp === EARLIEST_LOCAL) return { offset: log.logStartOffset, timestamp: -1 };
  // Consumers see only durable data, so "latest" is the high watermark (which is also the last stable offset).
  if (timestamp === LATEST) return { offset: log.highWatermark, timestamp: -1 };
  if (timestamp === MAX_TIMESTAMP) return log.maxTimestampOffset();
  return log.offsetForTimestamp(Number(timestamp));
}

export const listOffsetsHandler: Handler<ListOffsetsRequest, ListOffsetsResponse> = {
  apiKey: ApiKey.ListOffsets,
  // v9 adds "earliest pending upload" (tiered storage) and v10 a timeout for remote lookups.
  versions: { min: 0, max: 8 },
  handle(ctx, request) {
    const topics = ctx.broker.topics;
    return createListOffsetsResponse({
      topics: request.topics.map((t) =>
        createListOffsetsResponseListOffsetsTopicResponse({
          name: t.name,
          partitions: t.partitions.map((q) => {
            const p = topics.partition(t.name, q.partitionIndex);
            if (!p) {
              return createListOffsetsResponseListOffsetsPartitionResponse({ partitionIndex: q.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
            }
            if (q.timestamp < 0n && q.timestamp < EARLIEST_LOCAL) {
              return createListOffsetsResponseListOffsetsPartitionResponse({ partitionIndex: q.partitionIndex, errorCode: ErrorCode.UNSUPPORTED_VERSION });
            }
            const found = lookup(p, q.timestamp);
            if (ctx.apiVersion === 0) {
              // v0 answers with a list of offsets: the one found (Kafka also listed segment starts; one suffices for clients).
              return createListOffsetsResponseListOffsetsPartitionResponse({
                partitionIndex: q.partitionIndex,
                oldStyleOffsets: found && q.maxNumOffsets > 0 ? [BigInt(found.offset)] : [],
              });
            }
            return createListOffsetsResponseListOffsetsPartitionResponse({
              partitionIndex: q.partitionIndex,
              timestamp: BigInt(found?.timestamp ?? -1),
              offset: BigInt(found?.offset ?? -1),
              leaderEpoch: found ? p.leaderEpoch : -1,
            });
          }),
        }),
      ),
    });
  },
};
