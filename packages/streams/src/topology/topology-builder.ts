import { StreamsError } from '../errors.ts';
import type { ProcessorSupplier } from '../processor.ts';
import type { Serde } from '../serdes.ts';
import { keyValueStoreBuilder, type StoreType } from '../stores/key-value-store.ts';
import type { StoreBuilder } from '../stores/state-store.ts';
import type { SinkNode, SourceNode, StreamPartitioner, TimestampExtractor, TopicExtractor, TopicRef, TopologyNode } from './nodes.ts';
import { Topology } from './topology.ts';

/** Collects nodes, stores and internal topics as the DSL (or a Processor API user) adds them. */
export class TopologyBuilder {
  private readonly nodes = new Map<string, TopologyNode>();
  private readonly stores = new Map<string, StoreBuilder>();
  private readonly repartitionTopics = new Map<string, number | null>();
  private readonly copartitionGroups: TopicRef[][] = [];
  private readonly sourceTopics = new Set<string>();
  private readonly globalStores = new Map<string, { topic: string; nodes: string[] }>();
  private counter = 0;
  /** The DSL's key-value stores' type when an operator does not name one. */
  private readonly defaultStore: StoreType;

  constructor(defaultStore: StoreType = 'in-memory') {
    this.defaultStore = defaultStore;
  }

  /** A name for an unnamed stateless node: `<prefix>-<n>`, numbered in the order nodes are added. */
  nextName(prefix: string): string {
    return `${prefix}-${String(++this.counter).padStart(4, '0')}`;
  }

  private add(node: TopologyNode, parents: string[]): void {
    if (this.nodes.has(node.name)) throw new StreamsError('INVALID_TOPOLOGY', `two nodes are named "${node.name}": names of operators must be unique`);
    for (const p of parents) {
      const parent = this.nodes.get(p);
      if (!parent) throw new StreamsError('INVALID_TOPOLOGY', `node ${node.name} names an unknown parent "${p}"`);
      if (parent.kind === 'sink') throw new StreamsError('INVALID_TOPOLOGY', `node ${node.name} cannot follow sink ${p}`);
    }
    if (node.kind === 'source' && parents.length > 0) throw new StreamsError('INVALID_TOPOLOGY', `source ${node.name} cannot have parents`);
    this.nodes.set(node.name, node);
    for (const p of parents) this.nodes.get(p)!.children.push(node.name);
  }

  addSource(name: string, topics: TopicRef[], keySerde: Serde<unknown>, valueSerde: Serde<unknown>, timestampExtractor: TimestampExtractor | null = null): void {
    for (const t of topics) {
      const id = `${t.internal}:${t.name}`;
      if (this.sourceTopics.has(id)) throw new StreamsError('INVALID_TOPOLOGY', `topic "${t.name}" is read by two sources: read it once and share the stream`);
      this.sourceTopics.add(id);
    }
    const node: SourceNode = { kind: 'source', name, topics, keySerde, valueSerde, timestampExtractor, children: [] };
    this.add(node, []);
  }

  addProcessor(name: string, supplier: ProcessorSupplier<never, never, unknown, unknown>, parents: string[], stores: string[] = []): void {
    this.add({ kind: 'processor', name, supplier: supplier as ProcessorSupplier<unknown, unknown, unknown, unknown>, stores, children: [] }, parents);
  }

  addSink(name: string, topic: TopicRef | TopicExtractor<never, never>, keySerde: Serde<unknown>, valueSerde: Serde<unknown>, partitioner: StreamPartitioner<never, never> | null, parents: string[]): void {
    const node: SinkNode = { kind: 'sink', name, topic: topic as SinkNode['topic'], keySerde, valueSerde, partitioner: partitioner as SinkNode['partitioner'], children: [] };
    this.add(node, parents);
  }

  addStore(store: StoreBuilder): void {
    if (this.stores.has(store.name)) throw new StreamsError('INVALID_TOPOLOGY', `two stores are named "${store.name}": name each stateful operator once`);
    this.stores.set(store.name, store);
  }

  /** A DSL operator's key-value store, changelogged, of the type it names or the builder's default. */
  addKeyValueStore<K, V>(name: string, keySerde: Serde<K>, valueSerde: Serde<V>, type?: StoreType): void {
    this.addStore(keyValueStoreBuilder(name, keySerde, valueSerde, { type: type ?? this.defaultStore }));
  }

  hasStore(name: string): boolean {
    return this.stores.has(name);
  }

  /** Declares `<name>-repartition`; a name used twice is refused (it would merge two streams' topics). */
  addRepartitionTopic(name: string, partitions: number | null): TopicRef {
    return this.addInternalTopic(`${name}-repartition`, partitions, name);
  }

  /** Declares an internal topic written and read by the application (`<applicationId>-<topic>`), partitioned by key. */
  addInternalTopic(topic: string, partitions: number | null, name = topic): TopicRef {
    if (this.repartitionTopics.has(topic)) throw new StreamsError('INVALID_TOPOLOGY', `two repartition steps are named "${name}"`);
    if (partitions !== null && (!Number.isSafeInteger(partitions) || partitions < 1)) throw new StreamsError('INVALID_TOPOLOGY', `repartition "${name}" needs a positive partition count, not ${partitions}`);
    this.repartitionTopics.set(topic, partitions);
    return { name: topic, internal: true };
  }

  /** Marks a store as a global table's, filled from `topic` by `nodes` (its source and its processor). */
  addGlobalStore(store: string, topic: string, nodes: string[]): void {
    this.globalStores.set(store, { topic, nodes });
  }

  copartition(topics: TopicRef[]): void {
    this.copartitionGroups.push(topics);
  }

  /** The source topics feeding a node, following its ancestors (for co-partitioning). */
  sourceTopicsOf(nodeName: string): TopicRef[] {
    const found: TopicRef[] = [];
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      const node = this.nodes.get(name)!;
      if (node.kind === 'source') found.push(...node.topics);
      for (const parent of this.nodes.values()) if (parent.children.includes(name)) visit(parent.name);
    };
    visit(nodeName);
    return found;
  }

  build(): Topology {
    const nodes = new Map([...this.nodes].map(([name, node]) => [name, { ...node, children: [...node.children] } as TopologyNode]));
    return new Topology(nodes, new Map(this.stores), new Map(this.repartitionTopics), this.copartitionGroups.map((g) => [...g]), new Map(this.globalStores));
  }
}
