import { ErrorCode } from '@millrace/protocol';
import type { BrokerState } from '../handler.ts';
import type { Partition } from '../partition.ts';
import { waitForData } from '../wait-for-data.ts';

/**
 * Waits until every ISR member holds the records below `offset` (the high watermark reaches it):
 * what acks=all means. `epoch` is the leader epoch they were appended in: once this broker leads in
 * another (a later one of its own included), those offsets may hold other records. Resolves with
 * the Kafka error to answer: NONE, NOT_LEADER_OR_FOLLOWER when this broker no longer leads in that
 * epoch (the records may or may not survive, and the producer retries at the new leader), or
 * REQUEST_TIMED_OUT after `timeoutMs`.
 */
export async function awaitCommit(state: Pick<BrokerState, 'stopping'>, p: Partition, offset: number, epoch: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (p.role !== 'leader' || p.leaderEpoch !== epoch || state.stopping.aborted) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (p.log.highWatermark >= offset) return ErrorCode.NONE;
    const left = deadline - performance.now();
    if (left <= 0) return ErrorCode.REQUEST_TIMED_OUT;
    await waitForData(state, [p], left);
  }
}
