import type { ProcessorSupplier } from '../processor.ts';
import type { StreamRecord } from '../record.ts';
import type { Serde } from '../serdes.ts';

/** A topic a node reads or writes; an internal one is named `<applicationId>-<name>` at run time. */
export interface TopicRef {
  name: string;
  internal: boolean;
}

/** Reads a record's event time; the record's own timestamp when a source has none. */
export type TimestampExtractor = (record: { key: unknown; value: unknown; timestamp: number; topic: string; partition: number }) => number;

/** Picks a partition of `partitionCount` for a record; undefined lets the producer's default (murmur2 of the key) decide. */
export type StreamPartitioner<K, V> = (key: K, value: V, partitionCount: number) => number | undefined;

export type TopicExtractor<K, V> = (record: StreamRecord<K, V>) => string;

export interface SourceNode {
  kind: 'source';
  name: string;
  topics: TopicRef[];
  keySerde: Serde<unknown>;
  valueSerde: Serde<unknown>;
  timestampExtractor: TimestampExtractor | null;
  children: string[];
}

export interface ProcessorNode {
  kind: 'processor';
  name: string;
  supplier: ProcessorSupplier<unknown, unknown, unknown, unknown>;
  /** Stores the processor reads or writes: they live in its task. */
  stores: string[];
  children: string[];
}

export interface SinkNode {
  kind: 'sink';
  name: string;
  topic: TopicRef | TopicExtractor<unknown, unknown>;
  keySerde: Serde<unknown>;
  valueSerde: Serde<unknown>;
  partitioner: StreamPartitioner<unknown, unknown> | null;
  children: string[];
}

export type TopologyNode = SourceNode | ProcessorNode | SinkNode;

export function topicName(topic: TopicRef, applicationId: string): string {
  return topic.internal ? `${applicationId}-${topic.name}` : topic.name;
}
