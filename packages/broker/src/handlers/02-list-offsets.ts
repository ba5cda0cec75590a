import {
  ApiKey, createListOffsetsResponse, createListOffsetsResponseListOffsetsPartitionResponse,
  createListOffsetsResponseListOffsetsTopicResponse, ErrorCode, type ListOffsetsRequest,
  type ListOffsetsRequestListOffsetsPartition, type ListOffsetsResponse, type ListOffsetsResponseListOffsetsPartitionResponse,
} from '@millrace/protocol';
import type { Handler, RequestContext } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canTopic } from '../security/authorizer.ts';
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
async function lookup(p: Partition, timestamp: bigint, readCommitted: boolean): Promise<Found | null> {
  const log = p.log;
  // Single broker, no tiered storage: the earliest local offset is the earliest offset.
  if (timestamp === EARLIEST || timestamp === EARLIEST_LOCAL) return { offset: log.logStartOffset, timestamp: -1 };
  // Consumers see only durable data, so "latest" is the high watermark; for READ_COMMITTED, the last stable offset.
  if (timestamp === LATEST) return { offset: readCommitted ? log.lastStableOffset : log.highWatermark, timestamp: -1 };
  if (timestamp === MAX_TIMESTAMP) return log.maxTimestampOffset();
  return log.offsetForTimestamp(Number(timestamp));
}

async function answer(ctx: RequestContext, topic: string, q: ListOffsetsRequestListOffsetsPartition, readCommitted: boolean): Promise<ListOffsetsResponseListOffsetsPartitionResponse> {
  const p = ctx.broker.topics.partition(topic, q.partitionIndex);
  const respond = (init: Partial<ListOffsetsResponseListOffsetsPartitionResponse>) =>
    createListOffsetsResponseListOffsetsPartitionResponse({ partitionIndex: q.partitionIndex, timestamp: -1n, offset: -1n, leaderEpoch: -1, ...init });
  if (!p) return respond({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  if (p.role !== 'leader') return respond({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  if (ctx.apiVersion >= 4 && q.currentLeaderEpoch >= 0 && q.currentLeaderEpoch !== p.leaderEpoch) {
    return respond({ errorCode: q.currentLeaderEpoch < p.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH });
  }
  if (q.timestamp < EARLIEST_LOCAL) return respond({ errorCode: ErrorCode.UNSUPPORTED_VERSION });
  if (p.log.offlineReason) return respond({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR });
  // KIP-207: a new leader's high watermark may still be below where its epoch began (it learns the
  // followers' progress from their next fetches); "latest" must not go back, so it is not answered yet.
  if (q.timestamp === LATEST && p.replication && p.log.highWatermark < p.replication.epochStartOffset) return respond({ errorCode: ErrorCode.OFFSET_NOT_AVAILABLE });
  const found = await lookup(p, q.timestamp, readCommitted);
  if (ctx.apiVersion === 0) {
    // v0 answers with a list of offsets; the one found is what clients use.
    return respond({ oldStyleOffsets: found && q.maxNumOffsets > 0 ? [BigInt(found.offset)] : [] });
  }
  if (!found) return respond({});
  return respond({ timestamp: BigInt(found.timestamp), offset: BigInt(found.offset), leaderEpoch: p.leaderEpoch });
}

export const listOffsetsHandler: Handler<ListOffsetsRequest, ListOffsetsResponse> = {
  apiKey: ApiKey.ListOffsets,
  // v9 adds "earliest pending upload" (tiered storage) and v10 a timeout for remote lookups.
  versions: { min: 0, max: 8 },
  async handle(ctx, request) {
    const topics = [];
    for (const t of request.topics) {
      const partitions = [];
      for (const q of t.partitions) {
        partitions.push(canTopic(ctx, t.name, AclOperation.DESCRIBE)
          ? await answer(ctx, t.name, q, ctx.apiVersion >= 2 && request.isolationLevel === 1)
          : createListOffsetsResponseListOffsetsPartitionResponse({ partitionIndex: q.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, timestamp: -1n, offset: -1n }));
      }
      topics.push(createListOffsetsResponseListOffsetsTopicResponse({ name: t.name, partitions }));
    }
    return createListOffsetsResponse({ topics });
  },
};
