import type { FollowerLog } from '@millrace/cluster';
import type { PartitionLog } from '@millrace/storage';

/**
 * A partition log as the replica fetcher uses it; `onHighWatermark` is told when the high watermark
 * moves up (consumers reading from this follower wait for it).
 */
export function followerLog(log: PartitionLog, onHighWatermark: () => void): FollowerLog {
  return {
    get logEndOffset() {
      return log.logEndOffset;
    },
    get latestEpoch() {
      return log.leaderEpochs.latestEpoch;
    },
    endOffsetForEpoch: (epoch) => log.leaderEpochs.endOffsetFor(epoch, log.logEndOffset),
    appendAsFollower: (batches) => log.appendAsFollower(batches),
    flush: () => log.flush(),
    truncateTo: (offset) => log.truncateTo(offset),
    setReplicationHighWatermark: (offset) => {
      const before = log.highWatermark;
      log.setReplicationHighWatermark(offset);
      if (log.highWatermark > before) onHighWatermark();
    },
    get logStartOffset() {
      return log.logStartOffset;
    },
    get highWatermark() {
      return log.highWatermark;
    },
    deleteRecordsBefore: (offset) => log.deleteRecordsBefore(offset),
  };
}
