import type { Assignor, GroupMemberInfo, TopicPartition } from '@millrace/client';
import { topicName } from '../topology/nodes.ts';
import type { Topology } from '../topology/topology.ts';
import { taskCount } from './partition-counts.ts';

export interface TaskId {
  subtopology: number;
  partition: number;
}

export interface TaskPartitions extends TaskId {
  id: string;
  partitions: TopicPartition[];
}

/** Every task of the topology and the input partitions it reads. */
export function tasksOf(topology: Topology, applicationId: string, counts: ReadonlyMap<string, number>): TaskPartitions[] {
  return topology.subtopologies.flatMap((s) => Array.from({ length: taskCount(topology, s.id, counts, applicationId) }, (_, partition) => ({
    subtopology: s.id,
    partition,
    id: `${s.id}_${partition}`,
    partitions: s.sourceTopics.map((t) => topicName(t, applicationId)).filter((t) => partition < (counts.get(t) ?? 0)).map((topic) => ({ topic, partition })),
  })));
}

const key = (p: TopicPartition) => `${p.topic}\u0000${p.partition}`;

/**
 * The group assignor of a Streams application: hands out whole tasks (all input partitions of a
 * task go to one member), balanced by count, each task staying with the member that had it when
 * that keeps the balance. Cooperative: a task moving away from its owner is withheld for one
 * round, so its owner commits and closes it before the next owner starts it.
 */
export function streamsAssignor(topology: Topology, applicationId: string, applicationServer: string | null, onHosts: (hosts: TaskHosts) => void): Assignor {
  // Asked once per member with the same assignment: the hosts are encoded once for all of them.
  let encoded: { assignment: ReadonlyMap<string, Map<string, number[]>>; hosts: Buffer } | null = null;
  return {
    name: 'millrace-streams',
    protocol: 'cooperative',
    // Each member names where it serves interactive queries; the leader tells everyone which tasks each one runs.
    subscriptionUserData: () => (applicationServer === null ? null : Buffer.from(JSON.stringify({ server: applicationServer }))),
    assignmentUserData: (_memberId, assignment, members) => {
      if (encoded?.assignment !== assignment) encoded = { assignment, hosts: Buffer.from(JSON.stringify(taskHosts(assignment, members, topology, applicationId))) };
      return encoded.hosts;
    },
    assigned: (userData) => {
      if (userData !== null) onHosts(JSON.parse(userData.toString('utf8')) as TaskHosts);
    },
    assign(members, partitionCounts) {
      const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
      const tasks = tasksOf(topology, applicationId, partitionCounts);
      const owner = previousOwners(sorted);
      const capacity = Math.ceil(tasks.length / Math.max(1, sorted.length));
      const load = new Map(sorted.map((m) => [m.memberId, [] as TaskPartitions[]]));
      const unplaced: TaskPartitions[] = [];
      for (const task of tasks) {
        const previous = task.partitions.map((p) => owner.get(key(p))).find((m) => m !== undefined);
        const held = previous === undefined ? undefined : load.get(previous);
        if (held && held.length < capacity) held.push(task);
        else unplaced.push(task);
      }
      for (const task of unplaced) {
        const target = sorted.reduce((best, m) => (load.get(m.memberId)!.length < load.get(best.memberId)!.length ? m : best));
        load.get(target.memberId)!.push(task);
      }
      const assignment = new Map(sorted.map((m) => [m.memberId, new Map<string, number[]>()]));
      for (const [memberId, held] of load) {
        for (const task of held) {
          // Owned by another member still: that member gives it up first.
          if (task.partitions.some((p) => owner.has(key(p)) && owner.get(key(p)) !== memberId)) continue;
          const topics = assignment.get(memberId)!;
          for (const p of task.partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
        }
      }
      return assignment;
    },
  };
}

/** Who holds each partition now; the latest generation wins a claim two members make. */
function previousOwners(members: GroupMemberInfo[]): Map<string, string> {
  const owner = new Map<string, string>();
  for (const m of [...members].sort((a, b) => b.subscription.generationId - a.subscription.generationId)) {
    for (const [topic, partitions] of m.subscription.owned) {
      for (const partition of partitions) if (!owner.has(key({ topic, partition }))) owner.set(key({ topic, partition }), m.memberId);
    }
  }
  return owner;
}

/** Which application server runs each task (by task id), as the leader assigned them. */
export type TaskHosts = Record<string, string>;

function taskHosts(assignment: ReadonlyMap<string, Map<string, number[]>>, members: GroupMemberInfo[], topology: Topology, applicationId: string): TaskHosts {
  const subtopologyOf = new Map(topology.subtopologies.flatMap((s) => s.sourceTopics.map((t) => [topicName(t, applicationId), s.id] as const)));
  const hosts: TaskHosts = {};
  for (const m of members) {
    let server: string | undefined;
    try {
      server = m.subscription.userData === null ? undefined : (JSON.parse(m.subscription.userData.toString('utf8')) as { server?: string }).server;
    } catch {
      server = undefined;
    }
    if (server === undefined) continue;
    for (const [topic, partitions] of assignment.get(m.memberId) ?? []) {
      for (const p of partitions) hosts[`${subtopologyOf.get(topic)}_${p}`] = server;
    }
  }
  return hosts;
}
