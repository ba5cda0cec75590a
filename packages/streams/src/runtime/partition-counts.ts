import { StreamsError } from '../errors.ts';
import { type TopicRef, topicName } from '../topology/nodes.ts';
import type { Topology } from '../topology/topology.ts';

/**
 * The partition count of every topic a topology reads and of every internal topic, from the
 * counts of the user's topics: a repartition topic takes its fixed count, else its co-partition
 * group's, else the largest of its writer's inputs; a changelog has one partition per task of its
 * subtopology. Inputs that must be co-partitioned and are not are refused here, at start.
 */
export function partitionCounts(topology: Topology, applicationId: string, userTopics: ReadonlyMap<string, number>): Map<string, number> {
  const name = (t: TopicRef) => topicName(t, applicationId);
  const counts = new Map<string, number>();
  for (const s of topology.subtopologies) {
    for (const t of s.sourceTopics) {
      if (t.internal) continue;
      const count = userTopics.get(t.name);
      if (count === undefined) throw new StreamsError('MISSING_SOURCE_TOPIC', `source topic "${t.name}" does not exist: create it before starting the application`);
      counts.set(t.name, count);
    }
  }
  const repartition = topology.internalTopics.filter((t) => t.kind === 'repartition');
  for (const t of repartition) if (t.partitions !== null) counts.set(`${applicationId}-${t.name}`, t.partitions);

  for (const group of topology.copartitionGroups) {
    const known = [...new Set(group.filter((t) => counts.has(name(t))).map((t) => counts.get(name(t))!))];
    if (known.length > 1) {
      const detail = group.map((t) => `${name(t)} (${counts.get(name(t)) ?? '?'})`).join(', ');
      throw new StreamsError('CO_PARTITIONING', `a join reads topics with different partition counts: ${detail}; they must be equal (repartition() one side to match)`);
    }
    if (known.length === 1) for (const t of group) if (!counts.has(name(t))) counts.set(name(t), known[0]);
  }

  // A repartition topic's writer may read other repartition topics: settle them in rounds.
  for (let changed = true; changed;) {
    changed = false;
    for (const t of repartition) {
      const topic = `${applicationId}-${t.name}`;
      if (counts.has(topic)) continue;
      const inputs = topology.subtopologies[t.writerSubtopology].sourceTopics.map(name);
      if (!inputs.every((i) => counts.has(i))) continue;
      counts.set(topic, Math.max(...inputs.map((i) => counts.get(i)!)));
      changed = true;
    }
  }
  for (const t of repartition) {
    if (!counts.has(`${applicationId}-${t.name}`)) throw new StreamsError('INVALID_TOPOLOGY', `cannot tell how many partitions ${applicationId}-${t.name} needs: its inputs form a cycle`);
  }
  for (const t of topology.internalTopics.filter((x) => x.kind === 'changelog')) counts.set(`${applicationId}-${t.name}`, taskCount(topology, t.writerSubtopology, counts, applicationId));
  return counts;
}

/** A subtopology runs one task per partition of its widest input. */
export function taskCount(topology: Topology, subtopology: number, counts: ReadonlyMap<string, number>, applicationId: string): number {
  return Math.max(...topology.subtopologies[subtopology].sourceTopics.map((t) => counts.get(topicName(t, applicationId)) ?? 0));
}
