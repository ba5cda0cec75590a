import type { ProcessorSupplier } from '../processor.ts';
import { tableSourceProcessor } from '../processors/aggregate.ts';
import type { Serde } from '../serdes.ts';
import { keyValueStoreBuilder, type StoreType } from '../stores/key-value-store.ts';
import type { StoreBuilder } from '../stores/state-store.ts';
import { timestampedSerde } from '../stores/timestamped.ts';
import type { TimestampExtractor } from '../topology/nodes.ts';
import type { Topology } from '../topology/topology.ts';
import { TopologyBuilder } from '../topology/topology-builder.ts';
import { GlobalKTable } from './global-ktable.ts';
import { KStream } from './kstream.ts';
import { KTable } from './ktable.ts';
import { checkName } from './serde-options.ts';
import { storeGetter } from './table-getter.ts';

export interface SourceOptions<K, V> {
  key: Serde<K>;
  value: Serde<V>;
  /** Event time from the record; default the record's timestamp. Records whose time is negative are skipped. */
  timestampExtractor?: TimestampExtractor;
  /** Names the source node. */
  name?: string;
}

/** Where a topology starts: streams and tables read from topics, and stores for the Processor API. */
export class StreamsBuilder {
  private readonly topology: TopologyBuilder;

  /** `defaultStore`: where the key-value stores of aggregations, tables and joins keep their state unless an operator says otherwise (default 'in-memory'). */
  constructor(options: { defaultStore?: StoreType } = {}) {
    this.topology = new TopologyBuilder(options.defaultStore);
  }

  stream<K, V>(topics: string | string[], options: SourceOptions<K, V>): KStream<K, V> {
    const name = options.name ?? this.topology.nextName('source');
    const list = (Array.isArray(topics) ? topics : [topics]).map((t) => ({ name: t, internal: false }));
    this.topology.addSource(name, list, options.key as Serde<unknown>, options.value as Serde<unknown>, options.timestampExtractor ?? null);
    return new KStream(this.topology, name, { key: options.key, value: options.value }, false);
  }

  /** A table read from a topic (compacted, usually): each record an upsert of its key, a null value a deletion; stored in `name`. */
  table<K, V>(topic: string, options: SourceOptions<K, V> & { name: string; store?: StoreType }): KTable<K, V> {
    const name = checkName(options.name, `table(${topic})`);
    this.topology.addSource(`${name}-source`, [{ name: topic, internal: false }], options.key as Serde<unknown>, options.value as Serde<unknown>, options.timestampExtractor ?? null);
    this.topology.addKeyValueStore(name, options.key, timestampedSerde(options.value), options.store);
    this.topology.addProcessor(name, tableSourceProcessor(name) as ProcessorSupplier<never, never, unknown, unknown>, [`${name}-source`], [name]);
    return new KTable(this.topology, name, { key: options.key, value: options.value }, storeGetter(name), name);
  }

  /** A table every instance holds whole, read from all partitions of `topic` into the store `name` (the topic is its changelog). */
  globalTable<K, V>(topic: string, options: SourceOptions<K, V> & { name: string }): GlobalKTable<K, V> {
    const name = checkName(options.name, `globalTable(${topic})`);
    this.topology.addSource(`${name}-source`, [{ name: topic, internal: false }], options.key as Serde<unknown>, options.value as Serde<unknown>, options.timestampExtractor ?? null);
    // In memory always: it is read whole from its topic on every start.
    this.topology.addStore(keyValueStoreBuilder(name, options.key, timestampedSerde(options.value), { logged: false }));
    this.topology.addProcessor(name, tableSourceProcessor(name) as ProcessorSupplier<never, never, unknown, unknown>, [`${name}-source`], [name]);
    this.topology.addGlobalStore(name, topic, [`${name}-source`, name]);
    return new GlobalKTable(name, options.key, options.value, storeGetter(name));
  }

  /** Adds a store for processors added with `KStream.process` (they name it in their `stores`). */
  addStateStore(store: StoreBuilder): this {
    checkName(store.name, 'a state store');
    this.topology.addStore(store);
    return this;
  }

  build(): Topology {
    return this.topology.build();
  }
}
