import {
  ApiKey, createOffsetForLeaderEpochResponse, createOffsetForLeaderEpochResponseEpochEndOffset,
  createOffsetForLeaderEpochResponseOffsetForLeaderTopicResult, ErrorCode, type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canCluster, canTopic } from '../security/authorizer.ts';

/** "Unknown" in OffsetForLeaderEpoch answers: no such epoch, no such offset. */
const UNDEFINED = -1;

/**
 * Clients (librdkafka 2.1+, Java) ask for the end offset of the epoch they last fetched in, to detect
 * a log truncated under them (KIP-320): the largest epoch at or below it that this leader knows, and
 * where that epoch ends here (the log end for the current epoch).
 */
export const offsetForLeaderEpochHandler: Handler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = {
  apiKey: ApiKey.OffsetForLeaderEpoch,
  versions: { min: 0, max: 4 },
  handle(ctx, request) {
    return createOffsetForLeaderEpochResponse({
      topics: request.topics.map((t) =>
        createOffsetForLeaderEpochResponseOffsetForLeaderTopicResult({
          topic: t.topic,
          partitions: t.partitions.map((q) => {
            const answer = (errorCode: number, leaderEpoch = UNDEFINED, endOffset = UNDEFINED) =>
              createOffsetForLeaderEpochResponseEpochEndOffset({ partition: q.partition, errorCode, leaderEpoch, endOffset: BigInt(endOffset) });
            // A follower (replica id >= 0, v3+) needs CLUSTER_ACTION; a consumer DESCRIBE on the topic.
            const authorized = ctx.apiVersion >= 3 && request.replicaId >= 0 ? canCluster(ctx, AclOperation.CLUSTER_ACTION) : canTopic(ctx, t.topic, AclOperation.DESCRIBE);
            if (!authorized) return answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
            const p = ctx.broker.topics.partition(t.topic, q.partition);
            if (!p) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
            if (p.role !== 'leader') return answer(ErrorCode.NOT_LEADER_OR_FOLLOWER);
            if (ctx.apiVersion >= 2 && q.currentLeaderEpoch !== -1) {
              if (q.currentLeaderEpoch < p.leaderEpoch) return answer(ErrorCode.FENCED_LEADER_EPOCH);
              if (q.currentLeaderEpoch > p.leaderEpoch) return answer(ErrorCode.UNKNOWN_LEADER_EPOCH);
            }
            const end = p.log.leaderEpochs.endOffsetFor(q.leaderEpoch, p.log.logEndOffset);
            return answer(ErrorCode.NONE, end.epoch, end.endOffset);
          }),
        }),
      ),
    });
  },
};
