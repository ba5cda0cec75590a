import {
  ApiKey, createDeleteRecordsResponse, createDeleteRecordsResponseDeleteRecordsPartitionResult,
  createDeleteRecordsResponseDeleteRecordsTopicResult, type DeleteRecordsRequest, type DeleteRecordsResponse, ErrorCode,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canTopic } from '../security/authorizer.ts';
import { storageErrorCode } from '../storage-errors.ts';

/** -1 in DeleteRecords means "up to the high watermark". */
const HIGH_WATERMARK = -1n;

export const deleteRecordsHandler: Handler<DeleteRecordsRequest, DeleteRecordsResponse> = {
  apiKey: ApiKey.DeleteRecords,
  versions: { min: 0, max: 2 },
  async handle(ctx, request) {
    const state = ctx.broker;
    const topics = [];
    for (const t of request.topics) {
      const partitions = [];
      for (const q of t.partitions) {
        const p = state.topics.partition(t.name, q.partitionIndex);
        const result = (errorCode: number, lowWatermark = -1) =>
          createDeleteRecordsResponseDeleteRecordsPartitionResult({ partitionIndex: q.partitionIndex, errorCode, lowWatermark: BigInt(lowWatermark) });
        if (!canTopic(ctx, t.name, AclOperation.DELETE)) {
          partitions.push(result(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
          continue;
        }
        if (!p) {
          partitions.push(result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
          continue;
        }
        // The leader moves the log start; followers follow it from the leader's fetch answers.
        if (p.role !== 'leader') {
          partitions.push(result(ErrorCode.NOT_LEADER_OR_FOLLOWER));
          continue;
        }
        const target = q.offset === HIGH_WATERMARK ? p.log.highWatermark : Number(q.offset);
        if (target < 0 || target > p.log.highWatermark) {
          partitions.push(result(ErrorCode.OFFSET_OUT_OF_RANGE));
          continue;
        }
        try {
          if (target > p.log.logStartOffset) await p.log.deleteRecordsBefore(target);
          partitions.push(result(ErrorCode.NONE, p.log.logStartOffset));
        } catch (err) {
          partitions.push(result(storageErrorCode(err, state.log)));
        }
      }
      topics.push(createDeleteRecordsResponseDeleteRecordsTopicResult({ name: t.name, partitions }));
    }
    return createDeleteRecordsResponse({ topics });
  },
};
