import type { Subscription, TopicPartitions } from './consumer-protocol.ts';

/** A member as the group leader sees it in JoinGroup's answer. */
export interface GroupMemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  subscription: Subscription;
}

/**
 * Decides, on the group leader, which member consumes which partition. `protocol` says how
 * members move partitions: 'eager' members give up everything before each rebalance; 'cooperative'
 * members keep what they own and give up only what the new assignment takes away.
 */
export interface Assignor {
  name: string;
  protocol: 'eager' | 'cooperative';
  assign(members: GroupMemberInfo[], partitionCounts: ReadonlyMap<string, number>): Map<string, TopicPartitions>;
  /** What this member tells the leader beside its subscription (the subscription's user data). */
  subscriptionUserData?(): Buffer | null;
  /** On the leader, after `assign`: what to tell each member beside its partitions (the assignment's user data). */
  assignmentUserData?(memberId: string, assignment: ReadonlyMap<string, TopicPartitions>, members: GroupMemberInfo[]): Buffer | null;
  /** On every member, with the user data of the assignment it received. */
  assigned?(userData: Buffer | null): void;
}

interface Slot {
  topic: string;
  partition: number;
}

/** Static members by instance id, then dynamic members by member id: the order Kafka's assignors use. */
function memberOrder(a: GroupMemberInfo, b: GroupMemberInfo): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) return a.groupInstanceId < b.groupInstanceId ? -1 : a.groupInstanceId > b.groupInstanceId ? 1 : 0;
  if (a.groupInstanceId !== null) return -1;
  if (b.groupInstanceId !== null) return 1;
  return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
}

function emptyAssignment(members: GroupMemberInfo[]): Map<string, TopicPartitions> {
  return new Map(members.map((m) => [m.memberId, new Map()]));
}

function give(assignment: Map<string, TopicPartitions>, memberId: string, topic: string, partition: number): void {
  const topics = assignment.get(memberId)!;
  topics.set(topic, [...(topics.get(topic) ?? []), partition]);
}

/** Every partition of the topics some member subscribes to, by topic then partition. */
function allSlots(members: GroupMemberInfo[], partitionCounts: ReadonlyMap<string, number>): Slot[] {
  const topics = [...new Set(members.flatMap((m) => m.subscription.topics))].filter((t) => partitionCounts.has(t)).sort();
  return topics.flatMap((topic) => Array.from({ length: partitionCounts.get(topic)! }, (_, partition) => ({ topic, partition })));
}

/** Each topic on its own: its partitions in contiguous ranges, the first members taking one extra. */
export const rangeAssignor: Assignor = {
  name: 'range',
  protocol: 'eager',
  assign(members, partitionCounts) {
    const assignment = emptyAssignment(members);
    const sorted = [...members].sort(memberOrder);
    for (const [topic, count] of [...partitionCounts].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const consumers = sorted.filter((m) => m.subscription.topics.includes(topic));
      if (consumers.length === 0) continue;
      const each = Math.floor(count / consumers.length);
      const extra = count % consumers.length;
      consumers.forEach((m, i) => {
        const start = i * each + Math.min(i, extra);
        const length = each + (i < extra ? 1 : 0);
        for (let p = start; p < start + length; p++) give(assignment, m.memberId, topic, p);
      });
    }
    return assignment;
  },
};

/** Every partition of every topic dealt in turn to the members that subscribe to its topic. */
export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  protocol: 'eager',
  assign(members, partitionCounts) {
    const assignment = emptyAssignment(members);
    const sorted = [...members].sort(memberOrder);
    let next = 0;
    for (const slot of allSlots(members, partitionCounts)) {
      for (let tried = 0; tried < sorted.length; tried++) {
        const m = sorted[(next + tried) % sorted.length];
        if (!m.subscription.topics.includes(slot.topic)) continue;
        give(assignment, m.memberId, slot.topic, slot.partition);
        next = (next + tried + 1) % sorted.length;
        break;
      }
    }
    return assignment;
  },
};

/**
 * Balanced and sticky: members keep the partitions they own as far as balance allows, and only
 * the surplus of the most loaded members moves. Cooperative: a partition that changes owner is left
 * out of this round's assignment (its owner revokes it and rejoins; the next round gives it away),
 * so no partition is ever consumed by two members at once and the others keep consuming.
 */
export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  protocol: 'cooperative',
  assign(members, partitionCounts) {
    const sorted = [...members].sort(memberOrder);
    const subscribes = (memberId: string, topic: string) => byId.get(memberId)!.subscription.topics.includes(topic);
    const byId = new Map(sorted.map((m) => [m.memberId, m]));
    const key = (s: Slot) => `${s.topic}\u0000${s.partition}`;

    // Claims of the previous owners, the most recent generation first; claims that no longer fit are dropped.
    const previousOwner = new Map<string, string>();
    for (const m of [...sorted].sort((a, b) => b.subscription.generationId - a.subscription.generationId)) {
      for (const [topic, partitions] of m.subscription.owned) {
        if (!subscribes(m.memberId, topic)) continue;
        for (const partition of partitions) {
          const k = key({ topic, partition });
          if (partition < (partitionCounts.get(topic) ?? 0) && !previousOwner.has(k)) previousOwner.set(k, m.memberId);
        }
      }
    }

    const held = new Map<string, Slot[]>(sorted.map((m) => [m.memberId, []]));
    const slots = allSlots(members, partitionCounts);
    const unowned: Slot[] = [];
    for (const slot of slots) {
      const owner = previousOwner.get(key(slot));
      if (owner) held.get(owner)!.push(slot);
      else unowned.push(slot);
    }
    const leastLoaded = (candidates: GroupMemberInfo[]) => candidates.reduce((best, m) => (held.get(m.memberId)!.length < held.get(best.memberId)!.length ? m : best));
    for (const slot of unowned) {
      const candidates = sorted.filter((m) => subscribes(m.memberId, slot.topic));
      if (candidates.length > 0) held.get(leastLoaded(candidates).memberId)!.push(slot);
    }

    // Move single partitions from the most to the least loaded member while they differ by two or more.
    for (;;) {
      const byLoad = [...sorted].sort((a, b) => held.get(b.memberId)!.length - held.get(a.memberId)!.length);
      let moved = false;
      for (const from of byLoad) {
        const fromSlots = held.get(from.memberId)!;
        for (const to of [...byLoad].reverse()) {
          if (held.get(to.memberId)!.length > fromSlots.length - 2) break;
          const index = fromSlots.findLastIndex((s) => subscribes(to.memberId, s.topic));
          if (index < 0) continue;
          held.get(to.memberId)!.push(...fromSlots.splice(index, 1));
          moved = true;
          break;
        }
        if (moved) break;
      }
      if (!moved) break;
    }

    const assignment = emptyAssignment(members);
    for (const [memberId, memberSlots] of held) {
      for (const slot of memberSlots) {
        const owner = previousOwner.get(key(slot));
        if (owner === undefined || owner === memberId) give(assignment, memberId, slot.topic, slot.partition);
      }
    }
    return assignment;
  },
};

export const BUILT_IN_ASSIGNORS = { 'cooperative-sticky': cooperativeStickyAssignor, range: rangeAssignor, roundrobin: roundRobinAssignor } as const;
