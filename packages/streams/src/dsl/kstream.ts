import type { TopicExtractor, StreamPartitioner } from '../topology/nodes.ts';
import type { ProcessorSupplier } from '../processor.ts';
import type { Serde } from '../serdes.ts';
import type { TopologyBuilder } from '../topology/topology-builder.ts';
import { branchProcessor, filterProcessor, flatMapProcessor, flatMapValuesProcessor, mapProcessor, mapValuesProcessor, passThrough, peekProcessor, selectKeyProcessor } from '../processors/stateless.ts';
import { tableSourceProcessor } from '../processors/aggregate.ts';
import type { StoreType } from '../stores/key-value-store.ts';
import { timestampedSerde } from '../stores/timestamped.ts';
import { checkName, type KnownSerdes, requireSerde } from './serde-options.ts';
import { KGroupedStream } from './grouped-stream.ts';
import { GlobalKTable } from './global-ktable.ts';
import { KTable } from './ktable.ts';
import { storeGetter } from './table-getter.ts';
import { streamTableJoinProcessor } from '../processors/stream-table-join.ts';
import { joinStreamWithTable, joinStreams, type StreamJoinOptions, type StreamTableJoinOptions } from './stream-joins.ts';
import { JoinWindows } from './windows.ts';
import { StreamsError } from '../errors.ts';

export interface Named {
  name?: string;
}

export interface ProducedOptions<K, V> {
  key?: Serde<K>;
  value?: Serde<V>;
  partitioner?: StreamPartitioner<K, V>;
  name?: string;
}

export interface RepartitionOptions<K, V> {
  name: string;
  partitions?: number;
  key?: Serde<K>;
  value?: Serde<V>;
  partitioner?: StreamPartitioner<K, V>;
}

/**
 * A stream of records, each an independent fact. Stateless operators make a new stream; an
 * operator that changes the key marks the stream for repartitioning, which the next keyed
 * stateful operator (an aggregation or a join) does through an internal topic.
 */
export class KStream<K, V> {
  readonly builder: TopologyBuilder;
  readonly node: string;
  readonly serdes: KnownSerdes<K, V>;
  readonly repartitionRequired: boolean;

  constructor(builder: TopologyBuilder, node: string, serdes: KnownSerdes<K, V>, repartitionRequired: boolean) {
    this.builder = builder;
    this.node = node;
    this.serdes = serdes;
    this.repartitionRequired = repartitionRequired;
  }

  private then<K2, V2>(prefix: string, supplier: ProcessorSupplier<K, V, K2, V2>, named: Named | undefined, serdes: KnownSerdes<K2, V2>, keyChanged: boolean): KStream<K2, V2> {
    const name = named?.name ?? this.builder.nextName(prefix);
    this.builder.addProcessor(name, supplier as ProcessorSupplier<never, never, unknown, unknown>, [this.node]);
    return new KStream(this.builder, name, serdes, this.repartitionRequired || keyChanged);
  }

  filter(predicate: (key: K, value: V) => boolean, named?: Named): KStream<K, V> {
    return this.then('filter', filterProcessor(predicate, true), named, this.serdes, false);
  }

  filterNot(predicate: (key: K, value: V) => boolean, named?: Named): KStream<K, V> {
    return this.then('filter-not', filterProcessor(predicate, false), named, this.serdes, false);
  }

  map<K2, V2>(mapper: (key: K, value: V) => [K2, V2], named?: Named): KStream<K2, V2> {
    return this.then('map', mapProcessor(mapper), named, { key: undefined, value: undefined }, true);
  }

  mapValues<V2>(mapper: (value: V, key: K) => V2, named?: Named): KStream<K, V2> {
    return this.then('map-values', mapValuesProcessor(mapper), named, { key: this.serdes.key, value: undefined }, false);
  }

  flatMap<K2, V2>(mapper: (key: K, value: V) => Iterable<[K2, V2]>, named?: Named): KStream<K2, V2> {
    return this.then('flat-map', flatMapProcessor(mapper), named, { key: undefined, value: undefined }, true);
  }

  /** Each value to any number of values under the same key; records with a null value are skipped. */
  flatMapValues<V2>(mapper: (value: V, key: K) => Iterable<V2>, named?: Named): KStream<K, V2> {
    return this.then('flat-map-values', flatMapValuesProcessor(mapper), named, { key: this.serdes.key, value: undefined }, false);
  }

  selectKey<K2>(selector: (key: K, value: V) => K2, named?: Named): KStream<K2, V> {
    return this.then('select-key', selectKeyProcessor(selector), named, { key: undefined, value: this.serdes.value }, true);
  }

  peek(action: (key: K, value: V) => void, named?: Named): KStream<K, V> {
    return this.then('peek', peekProcessor(action), named, this.serdes, false);
  }

  foreach(action: (key: K, value: V) => void, named?: Named): void {
    this.then('foreach', peekProcessor(action), named, this.serdes, false);
  }

  merge(other: KStream<K, V>, named?: Named): KStream<K, V> {
    const name = named?.name ?? this.builder.nextName('merge');
    this.builder.addProcessor(name, passThrough(), [this.node, other.node]);
    return new KStream(this.builder, name, { key: this.serdes.key ?? other.serdes.key, value: this.serdes.value ?? other.serdes.value }, this.repartitionRequired || other.repartitionRequired);
  }

  /** Routes each record to the first branch whose predicate accepts it. */
  split(named?: Named): BranchedKStream<K, V> {
    return new BranchedKStream(this, named?.name ?? this.builder.nextName('split'));
  }

  /** Any processor: the Processor API inside the DSL. Name the stores it uses; they must be added with `StreamsBuilder.addStateStore`. */
  process<K2, V2>(supplier: ProcessorSupplier<K, V, K2, V2>, options: { name: string; stores?: string[]; key?: Serde<K2>; value?: Serde<V2> }): KStream<K2, V2> {
    const name = checkName(options.name, 'process()');
    this.builder.addProcessor(name, supplier as ProcessorSupplier<never, never, unknown, unknown>, [this.node], options.stores ?? []);
    return new KStream(this.builder, name, { key: options.key, value: options.value }, true);
  }

  /** Like `process`, for processors that keep the key: no repartitioning follows. */
  processValues<V2>(supplier: ProcessorSupplier<K, V, K, V2>, options: { name: string; stores?: string[]; value?: Serde<V2> }): KStream<K, V2> {
    const name = checkName(options.name, 'processValues()');
    this.builder.addProcessor(name, supplier as ProcessorSupplier<never, never, unknown, unknown>, [this.node], options.stores ?? []);
    return new KStream(this.builder, name, { key: this.serdes.key, value: options.value }, this.repartitionRequired);
  }

  /** Writes the stream to a topic, or to the topic the extractor names for each record. */
  to(topic: string | TopicExtractor<K, V>, options: ProducedOptions<K, V> = {}): void {
    const name = options.name ?? this.builder.nextName('sink');
    const key = requireSerde(options.key, this.serdes.key, `to(${typeof topic === 'string' ? topic : '<extractor>'})'s key`);
    const value = requireSerde(options.value, this.serdes.value, `to(${typeof topic === 'string' ? topic : '<extractor>'})'s value`);
    const target = typeof topic === 'string' ? { name: topic, internal: false } : (topic as TopicExtractor<never, never>);
    this.builder.addSink(name, target, key as Serde<unknown>, value as Serde<unknown>, (options.partitioner ?? null) as StreamPartitioner<never, never> | null, [this.node]);
  }

  /** Writes the stream through an internal topic `<applicationId>-<name>-repartition` and reads it back: partitioned by the current key. */
  repartition(options: RepartitionOptions<K, V>): KStream<K, V> {
    const name = checkName(options.name, 'repartition()');
    const key = requireSerde(options.key, this.serdes.key, `repartition(${name})'s key`);
    const value = requireSerde(options.value, this.serdes.value, `repartition(${name})'s value`);
    const topic = this.builder.addRepartitionTopic(name, options.partitions ?? null);
    this.builder.addSink(`${name}-repartition-sink`, topic, key as Serde<unknown>, value as Serde<unknown>, (options.partitioner ?? null) as StreamPartitioner<never, never> | null, [this.node]);
    this.builder.addSource(`${name}-repartition-source`, [topic], key as Serde<unknown>, value as Serde<unknown>);
    return new KStream(this.builder, `${name}-repartition-source`, { key, value }, false);
  }

  groupByKey(options: { name?: string; key?: Serde<K>; value?: Serde<V> } = {}): KGroupedStream<K, V> {
    return new KGroupedStream(this.builder, this.node, { key: options.key ?? this.serdes.key, value: options.value ?? this.serdes.value }, this.repartitionRequired, options.name);
  }

  /** Groups by a new key: always through a repartition topic `<applicationId>-<name>-repartition`. */
  groupBy<K2>(selector: (key: K, value: V) => K2, options: { name: string; key: Serde<K2>; value?: Serde<V> }): KGroupedStream<K2, V> {
    const name = checkName(options.name, 'groupBy()');
    const rekeyed = this.selectKey(selector);
    return new KGroupedStream(this.builder, rekeyed.node, { key: options.key, value: options.value ?? this.serdes.value }, true, name);
  }

  /** The stream as a table: each record an upsert of its key (a null value deletes it), stored in `name`. */
  toTable(options: { name: string; key?: Serde<K>; value?: Serde<V>; store?: StoreType }): KTable<K, V> {
    const name = checkName(options.name, 'toTable()');
    const source = this.repartitionRequired ? this.repartition({ name, key: options.key, value: options.value }) : this;
    const key = requireSerde(options.key, source.serdes.key, `toTable(${name})'s key`);
    const value = requireSerde(options.value, source.serdes.value, `toTable(${name})'s value`);
    this.builder.addKeyValueStore(name, key, timestampedSerde(value), options.store);
    this.builder.addProcessor(name, tableSourceProcessor(name) as ProcessorSupplier<never, never, unknown, unknown>, [source.node], [name]);
    return new KTable(this.builder, name, { key, value }, storeGetter(name), name);
  }

  /** A windowed join with another stream (both sides' records within the windows of each other), or a lookup of each record's key in a table. */
  join<VO, R>(other: KStream<K, VO>, joiner: (value: V, otherValue: VO) => R, windows: JoinWindows, options: StreamJoinOptions<K, V, VO>): KStream<K, R>;
  join<VT, R>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT) => R, options?: StreamTableJoinOptions<K, V>): KStream<K, R>;
  join<GK, GV, R>(table: GlobalKTable<GK, GV>, keySelector: (key: K, value: V) => GK, joiner: (value: V, tableValue: GV) => R, named?: Named): KStream<K, R>;
  join(other: KStream<K, unknown> | KTable<K, unknown> | GlobalKTable<unknown, unknown>, a: unknown, b?: unknown, c?: unknown): KStream<K, unknown> {
    if (other instanceof GlobalKTable) return this.joinGlobal(other, a as (k: K, v: V) => unknown, b as (v: V, g: unknown) => unknown, false, c as Named | undefined);
    return this.joinWith(other, a as (l: V | null, r: unknown) => unknown, 'inner', b as JoinWindows | StreamTableJoinOptions<K, V> | undefined, c as StreamJoinOptions<K, V, unknown> | undefined);
  }

  /** As `join`, and a record without a match is joined with null (for a stream join: once its window and grace have passed). */
  leftJoin<VO, R>(other: KStream<K, VO>, joiner: (value: V, otherValue: VO | null) => R, windows: JoinWindows, options: StreamJoinOptions<K, V, VO>): KStream<K, R>;
  leftJoin<VT, R>(table: KTable<K, VT>, joiner: (value: V, tableValue: VT | null) => R, options?: StreamTableJoinOptions<K, V>): KStream<K, R>;
  leftJoin<GK, GV, R>(table: GlobalKTable<GK, GV>, keySelector: (key: K, value: V) => GK, joiner: (value: V, tableValue: GV | null) => R, named?: Named): KStream<K, R>;
  leftJoin(other: KStream<K, unknown> | KTable<K, unknown> | GlobalKTable<unknown, unknown>, a: unknown, b?: unknown, c?: unknown): KStream<K, unknown> {
    if (other instanceof GlobalKTable) return this.joinGlobal(other, a as (k: K, v: V) => unknown, b as (v: V, g: unknown) => unknown, true, c as Named | undefined);
    return this.joinWith(other, a as (l: V | null, r: unknown) => unknown, 'left', b as JoinWindows | StreamTableJoinOptions<K, V> | undefined, c as StreamJoinOptions<K, V, unknown> | undefined);
  }

  private joinGlobal<GK, GV, R>(table: GlobalKTable<GK, GV>, keySelector: (key: K, value: V) => GK, joiner: (value: V, tableValue: GV | null) => R, left: boolean, named?: Named): KStream<K, R> {
    const name = named?.name ?? this.builder.nextName(left ? 'global-left-join' : 'global-join');
    this.builder.addProcessor(name, streamTableJoinProcessor(table.getter, joiner, left, name, keySelector) as ProcessorSupplier<never, never, unknown, unknown>, [this.node], table.getter.stores);
    return new KStream(this.builder, name, { key: this.serdes.key, value: undefined }, this.repartitionRequired);
  }

  /** A windowed outer join with another stream: unmatched records of either side come out joined with null. */
  outerJoin<VO, R>(other: KStream<K, VO>, joiner: (value: V | null, otherValue: VO | null) => R, windows: JoinWindows, options: StreamJoinOptions<K, V, VO>): KStream<K, R> {
    return joinStreams(this, other, joiner, windows, 'outer', options);
  }

  private joinWith<VO, R>(other: KStream<K, VO> | KTable<K, VO>, joiner: (l: V | null, r: VO | null) => R, type: 'inner' | 'left', windowsOrOptions?: JoinWindows | StreamTableJoinOptions<K, V>, options?: StreamJoinOptions<K, V, VO>): KStream<K, R> {
    if (other instanceof KTable) return joinStreamWithTable(this, other, joiner as (v: V, t: VO | null) => R, type === 'left', (windowsOrOptions ?? {}) as StreamTableJoinOptions<K, V>);
    if (!(windowsOrOptions instanceof JoinWindows) || options === undefined) throw new StreamsError('INVALID_TOPOLOGY', 'a stream-stream join needs JoinWindows and options with a name');
    return joinStreams(this, other, joiner, windowsOrOptions, type, options);
  }
}

/** `split()`'s builder: `branch(predicate, name)` as often as needed, then `defaultBranch()` or `noDefaultBranch()`. */
export class BranchedKStream<K, V> {
  private readonly stream: KStream<K, V>;
  private readonly prefix: string;
  private readonly branches: { name: string; predicate: (key: K, value: V) => boolean }[] = [];

  constructor(stream: KStream<K, V>, prefix: string) {
    this.stream = stream;
    this.prefix = prefix;
  }

  branch(predicate: (key: K, value: V) => boolean, name?: string): this {
    this.branches.push({ name: name ?? String(this.branches.length + 1), predicate });
    return this;
  }

  /** The branches by name, with `name` (default '0') taking what no predicate accepted. */
  defaultBranch(name = '0'): Record<string, KStream<K, V>> {
    this.branches.push({ name, predicate: () => true });
    return this.noDefaultBranch();
  }

  noDefaultBranch(): Record<string, KStream<K, V>> {
    const { builder } = this.stream;
    const children = this.branches.map((b) => `${this.prefix}-${b.name}`);
    builder.addProcessor(this.prefix, branchProcessor(this.branches.map((b) => b.predicate), children) as ProcessorSupplier<never, never, unknown, unknown>, [this.stream.node]);
    const result: Record<string, KStream<K, V>> = {};
    this.branches.forEach((b, i) => {
      builder.addProcessor(children[i], passThrough(), [this.prefix]);
      result[b.name] = new KStream(builder, children[i], this.stream.serdes, this.stream.repartitionRequired);
    });
    return result;
  }
}
