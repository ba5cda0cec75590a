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

/** What an ElectLeaders request found for one partition: a new state to write, or why there is none. */
export type RequestedElection =
  | { outcome: 'elect'; next: Omit<PartitionState, 'controllerEpoch'> }
  | { outcome: 'not-needed' | 'not-available' };

/**
 * Preferred election (ElectLeaders type 0, and the auto rebalance): the first replica in assignment
 * order leads, if it is alive and in the ISR (no data can be lost), with the epoch bumped.
 */
export function electPreferred(replicas: number[], state: PartitionState, live: (id: number) => boolean): RequestedElection {
  const preferred = replicas[0];
  if (state.leader === preferred) return { outcome: 'not-needed' };
  if (preferred === undefined || !live(preferred) || !state.isr.includes(preferred)) return { outcome: 'not-available' };
  return { outcome: 'elect', next: { leader: preferred, leaderEpoch: state.leaderEpoch + 1, isr: state.isr } };
}

/**
 * Unclean election on request (ElectLeaders type 1): only for a partition without a live ISR leader;
 * a live ISR member is taken first, else any live replica, which then leads alone.
 */
export function electUnclean(replicas: number[], state: PartitionState, live: (id: number) => boolean): RequestedElection {
  if (state.leader !== NO_LEADER && live(state.leader)) return { outcome: 'not-needed' };
  const next = electLeader(replicas, state, live, true);
  if (!next || next.leader === NO_LEADER) return { outcome: 'not-available' };
  return { outcome: 'elect', next };
}
