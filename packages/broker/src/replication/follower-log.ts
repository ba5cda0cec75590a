import type { FollowerLog } from '@millrace/cluster';
import type { PartitionLog } from '@millrace/storage';

/** A partition log as the replica fetcher uses it. */
export function followerLog(log: PartitionLog): FollowerLog {
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
    setReplicationHighWatermark: (offset) => log.setReplicationHighWatermark(offset),
    get logStartOffset() {
      return log.logStartOffset;
    },
    get highWatermark() {
      return log.highWatermark;
    },
    deleteRecordsBefore: (offset) => log.deleteRecordsBefore(offset),
  };
}
