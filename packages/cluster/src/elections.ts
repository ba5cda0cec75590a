import { NO_LEADER, type PartitionState } from './records.ts';

/**
 * The controller's decision for one partition given the brokers alive now, or null when its state
 * is already right. Kafka's rules: the new leader is the first replica in assignment order that is
 * alive and in the ISR; dead replicas leave the ISR, except the last one, which stays so that only
 * a replica holding every committed record can lead again ("last replica standing"). Without such a
 * replica the partition has no leader, unless unclean election is allowed: then the first live
 * replica leads alone, and what only the others held is lost.
 */
export function electLeader(replicas: number[], state: PartitionState, live: (id: number) => boolean, uncleanAllowed: boolean): Omit<PartitionState, 'controllerEpoch'> | null {
  const liveIsr = state.isr.filter(live);
  const leaderAlive = state.leader !== NO_LEADER && live(state.leader) && state.isr.includes(state.leader);
  if (leaderAlive) {
    if (liveIsr.length === state.isr.length) return null;
    // The leader stays; dead followers leave the ISR (same epoch: only the ISR changed).
    return { leader: state.leader, leaderEpoch: state.leaderEpoch, isr: liveIsr };
  }
  const clean = replicas.find((r) => live(r) && state.isr.includes(r));
  if (clean !== undefined) return { leader: clean, leaderEpoch: state.leaderEpoch + 1, isr: liveIsr };
  if (uncleanAllowed) {
    const any = replicas.find(live);
    if (any !== undefined) return { leader: any, leaderEpoch: state.leaderEpoch + 1, isr: [any] };
  }
  if (state.leader === NO_LEADER) return null;
  return { leader: NO_LEADER, leaderEpoch: state.leaderEpoch + 1, isr: state.isr.length === 1 ? state.isr : liveIsr.length > 0 ? liveIsr : [state.isr[0]] };
}
