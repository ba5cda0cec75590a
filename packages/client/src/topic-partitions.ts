import type { TopicPartitions } from './consumer-protocol.ts';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export function isEmpty(partitions: TopicPartitions): boolean {
  for (const ps of partitions.values()) if (ps.length > 0) return false;
  return true;
}

/** The partitions of `a` that are not in `b`. */
export function difference(a: TopicPartitions, b: TopicPartitions): TopicPartitions {
  const result: TopicPartitions = new Map();
  for (const [topic, partitions] of a) {
    const other = new Set(b.get(topic) ?? []);
    const left = partitions.filter((p) => !other.has(p));
    if (left.length > 0) result.set(topic, left);
  }
  return result;
}

export function toList(partitions: TopicPartitions): TopicPartition[] {
  return [...partitions].flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })));
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** `items` grouped by topic, in the order the topics first appear. */
export function byTopic<T extends TopicPartition>(items: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) map.set(item.topic, [...(map.get(item.topic) ?? []), item]);
  return map;
}
