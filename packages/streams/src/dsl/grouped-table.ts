import type { ProcessorSupplier } from '../processor.ts';
import { changeSerde, tableAggregateProcessor } from '../processors/table-aggregate.ts';
import { type Serde, Serdes } from '../serdes.ts';
import { timestampedSerde } from '../stores/timestamped.ts';
import type { TopologyBuilder } from '../topology/topology-builder.ts';
import type { Materialized } from './grouped-stream.ts';
import { KTable } from './ktable.ts';
import { checkName, requireSerde } from './serde-options.ts';
import { storeGetter } from './table-getter.ts';

type AnySupplier = ProcessorSupplier<never, never, unknown, unknown>;

/**
 * A table re-grouped by a new key (through `<applicationId>-<name>-repartition`), to aggregate with
 * an adder and a subtractor: a row that changes or moves to another group is taken out of its old
 * group's aggregate and put into its new one.
 */
export class KGroupedTable<K, V> {
  private readonly builder: TopologyBuilder;
  private readonly node: string;
  private readonly valueSerde: Serde<V>;
  private readonly keySerde: Serde<K>;

  constructor(builder: TopologyBuilder, node: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.builder = builder;
    this.node = node;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  count(options: Materialized<K, number>): KTable<K, number> {
    return this.aggregate(() => 0, (_k, _v, n) => n + 1, (_k, _v, n) => n - 1, { ...options, value: options.value ?? Serdes.int64() });
  }

  reduce(adder: (aggregate: V, value: V) => V, subtractor: (aggregate: V, value: V) => V, options: Materialized<K, V>): KTable<K, V> {
    const nothing = undefined as unknown as V;
    return this.aggregate(() => nothing, (_k, v, a) => (a === nothing ? v : adder(a, v)), (_k, v, a) => subtractor(a, v), { ...options, value: options.value ?? this.valueSerde });
  }

  aggregate<A>(initializer: () => A, adder: (key: K, value: V, aggregate: A) => A, subtractor: (key: K, value: V, aggregate: A) => A, options: Materialized<K, A>): KTable<K, A> {
    const name = checkName(options.name, 'a table aggregation');
    const value = requireSerde(options.value, undefined, `${name}'s aggregate value`);
    const key = options.key ?? this.keySerde;
    this.builder.addKeyValueStore(name, key, timestampedSerde(value), options.store);
    this.builder.addProcessor(name, tableAggregateProcessor(name, initializer, adder, subtractor) as AnySupplier, [this.node], [name]);
    return new KTable(this.builder, name, { key, value }, storeGetter(name), name);
  }
}

/** Sends a table's regrouped changes through their repartition topic; returns the node reading them back. */
export function regroupThroughTopic<K2, V2>(builder: TopologyBuilder, from: string, name: string, keySerde: Serde<K2>, valueSerde: Serde<V2>): string {
  const topic = builder.addRepartitionTopic(name, null);
  const serde = changeSerde(valueSerde) as Serde<unknown>;
  builder.addSink(`${name}-repartition-sink`, topic, keySerde as Serde<unknown>, serde, null, [from]);
  builder.addSource(`${name}-repartition-source`, [topic], keySerde as Serde<unknown>, serde);
  return `${name}-repartition-source`;
}
