import type { BrokerState } from '../handler.ts';
import type { Partition } from '../partition.ts';
import { waitForData } from '../wait-for-data.ts';

/**
 * Waits while the cluster's metadata, as this broker has read it, makes it the leader of `p` but it
 * is still taking the leadership over (recording the new epoch durably, partition after partition).
 * Clients learn of a new leader from any broker's metadata and often arrive in that moment;
 * refusing the first of a producer's pipelined batches and taking the next would leave a gap in its
 * sequence. Returns as soon as the leadership is taken up (before any later request can append),
 * when the metadata names another leader, or after `timeoutMs`.
 */
export async function awaitLeadership(state: BrokerState, p: Partition, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (p.role === 'leader' || !metadataMakesLeader(state, p)) return;
    const left = deadline - performance.now();
    if (left <= 0) return;
    await waitForData(state, [p], left);
  }
}

function metadataMakesLeader(state: BrokerState, p: Partition): boolean {
  const cluster = state.cluster;
  const topic = state.topics.get(p.topic);
  if (!cluster || !topic) return false;
  const view = cluster.view.partition(topic.record.id, p.index);
  return view !== undefined && view.state.leader === cluster.nodeId && view.state.leaderEpoch >= p.leaderEpoch;
}
