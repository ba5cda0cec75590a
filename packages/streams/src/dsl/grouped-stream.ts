import { type Aggregator, streamAggregateProcessor } from '../processors/aggregate.ts';
import type { ProcessorSupplier } from '../processor.ts';
import { type Serde, Serdes } from '../serdes.ts';
import type { StoreType } from '../stores/key-value-store.ts';
import { timestampedSerde } from '../stores/timestamped.ts';
import type { TopologyBuilder } from '../topology/topology-builder.ts';
import { checkName, type KnownSerdes, requireSerde } from './serde-options.ts';
import { CogroupedKStream } from './cogrouped-stream.ts';
import { KTable } from './ktable.ts';
import { storeGetter } from './table-getter.ts';
import { SessionWindowedKStream, TimeWindowedKStream } from './windowed-streams.ts';
import { SessionWindows, type SlidingWindows, type TimeWindows } from './windows.ts';

export interface Materialized<K, A> {
  /** Names the store and its changelog topic `<applicationId>-<name>-changelog`. */
  name: string;
  key?: Serde<K>;
  value?: Serde<A>;
  /** Where the store keeps its state; default the StreamsBuilder's `defaultStore` ('in-memory' unless set). */
  store?: StoreType;
}

type AnySupplier = ProcessorSupplier<never, never, unknown, unknown>;

/** A value no aggregate can hold: reduce's "nothing yet". */
export const NOTHING_YET: unique symbol = Symbol('nothing yet');

/** A stream grouped by key, to aggregate. Repartitions first when its key changed upstream. */
export class KGroupedStream<K, V> {
  readonly builder: TopologyBuilder;
  private readonly node: string;
  readonly serdes: KnownSerdes<K, V>;
  private readonly repartitionRequired: boolean;
  private readonly groupName: string | undefined;

  constructor(builder: TopologyBuilder, node: string, serdes: KnownSerdes<K, V>, repartitionRequired: boolean, groupName: string | undefined) {
    this.builder = builder;
    this.node = node;
    this.serdes = serdes;
    this.repartitionRequired = repartitionRequired;
    this.groupName = groupName;
  }

  /** The node the aggregation reads from: through `<applicationId>-<group or store name>-repartition` when the key changed. */
  input(storeName: string): string {
    if (!this.repartitionRequired) return this.node;
    const name = this.groupName ?? storeName;
    const key = requireSerde(undefined, this.serdes.key, `the repartitioning of ${name} (key)`);
    const value = requireSerde(undefined, this.serdes.value, `the repartitioning of ${name} (value)`);
    const topic = this.builder.addRepartitionTopic(name, null);
    this.builder.addSink(`${name}-repartition-sink`, topic, key as Serde<unknown>, value as Serde<unknown>, null, [this.node]);
    this.builder.addSource(`${name}-repartition-source`, [topic], key as Serde<unknown>, value as Serde<unknown>);
    return `${name}-repartition-source`;
  }

  count(options: Materialized<K, number>): KTable<K, number> {
    return this.aggregate(() => 0, (_k, _v, count) => count + 1, { ...options, value: options.value ?? Serdes.int64() });
  }

  /** Combines the values of a key; the first value is the aggregate as it is. */
  reduce(reducer: (aggregate: V, value: V) => V, options: Materialized<K, V>): KTable<K, V> {
    const aggregator = (_k: K, value: V, aggregate: V) => (aggregate === (NOTHING_YET as unknown) ? value : reducer(aggregate, value));
    return this.aggregate(() => NOTHING_YET as unknown as V, aggregator, { ...options, value: options.value ?? this.serdes.value });
  }

  aggregate<A>(initializer: () => A, aggregator: Aggregator<K, V, A>, options: Materialized<K, A>): KTable<K, A> {
    const name = checkName(options.name, 'an aggregation');
    const key = requireSerde(options.key, this.serdes.key, `${name}'s key`);
    const value = requireSerde(options.value, undefined, `${name}'s aggregate value`);
    const input = this.input(name);
    this.builder.addKeyValueStore(name, key, timestampedSerde(value), options.store);
    this.builder.addProcessor(name, streamAggregateProcessor(name, initializer, aggregator) as AnySupplier, [input], [name]);
    return new KTable(this.builder, name, { key, value }, storeGetter(name), name);
  }

  /** Starts a cogroup: this stream and others (`.cogroup(other, aggregator)`) feed one aggregate. */
  cogroup<A>(aggregator: Aggregator<K, V, A>): CogroupedKStream<K, A> {
    return new CogroupedKStream(this as KGroupedStream<K, unknown>, aggregator as Aggregator<K, unknown, A>);
  }

  windowedBy(windows: TimeWindows | SlidingWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  windowedBy(windows: TimeWindows | SlidingWindows | SessionWindows): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> {
    return windows instanceof SessionWindows ? new SessionWindowedKStream(this, windows) : new TimeWindowedKStream(this, windows);
  }
}
