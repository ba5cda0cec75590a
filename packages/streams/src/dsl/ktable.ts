import type { ProcessorSupplier } from '../processor.ts';
import { tableFilterProcessor, tableMapValuesProcessor, tableMaterializeProcessor, toStreamProcessor } from '../processors/table-ops.ts';
import { type JoinType, joinRow, tableTableJoinProcessor } from '../processors/table-table-join.ts';
import { passThrough } from '../processors/stateless.ts';
import { tableRegroupProcessor } from '../processors/table-aggregate.ts';
import { bufferedSerde, suppressProcessor } from '../processors/suppress.ts';
import { StreamsError } from '../errors.ts';
import type { Serde } from '../serdes.ts';
import type { StoreType } from '../stores/key-value-store.ts';
import { timestampedSerde } from '../stores/timestamped.ts';
import type { TopologyBuilder } from '../topology/topology-builder.ts';
import { foreignKeyJoin, type ForeignKeyJoinOptions } from './foreign-key-join.ts';
import { KGroupedTable, regroupThroughTopic } from './grouped-table.ts';
import { KStream, type Named } from './kstream.ts';
import { checkName, type KnownSerdes, requireSerde } from './serde-options.ts';
import { derivedGetter, storeGetter, type TableGetter } from './table-getter.ts';

type AnySupplier = ProcessorSupplier<never, never, unknown, unknown>;

export interface TableOperatorOptions<K, V> {
  name?: string;
  /** Stores the result in a store of this name (queryable, with a changelog). */
  materialize?: { name: string; key?: Serde<K>; value?: Serde<V>; store?: StoreType };
}

/**
 * A table: the latest value of each key, as a changelog of upserts and tombstones. Its operators
 * pass changes on (new and old value), so a row that leaves a filter becomes a tombstone, and
 * joins can read any table's current row through its getter.
 */
export class KTable<K, V> {
  readonly builder: TopologyBuilder;
  readonly node: string;
  readonly serdes: KnownSerdes<K, V>;
  readonly getter: TableGetter<K, V>;
  /** The store holding this table's rows, when it has one. */
  readonly storeName: string | null;
  /** For a windowed aggregation's table: when a key's window closes (end plus grace), which `suppress` waits for. */
  windowCloseTime: ((key: K) => number) | null = null;

  constructor(builder: TopologyBuilder, node: string, serdes: KnownSerdes<K, V>, getter: TableGetter<K, V>, storeName: string | null) {
    this.builder = builder;
    this.node = node;
    this.serdes = serdes;
    this.getter = getter;
    this.storeName = storeName;
  }

  private then<V2>(prefix: string, supplier: AnySupplier, options: TableOperatorOptions<K, V2> | undefined, serdes: KnownSerdes<K, V2>, getter: TableGetter<K, V2>, parents = [this.node]): KTable<K, V2> {
    const name = options?.name ?? this.builder.nextName(prefix);
    this.builder.addProcessor(name, supplier, parents);
    if (!options?.materialize) return this.sameKeys(new KTable(this.builder, name, serdes, getter, null));
    const store = checkName(options.materialize.name, 'a materialized table');
    const key = requireSerde(options.materialize.key, serdes.key, `${store}'s key`);
    const value = requireSerde(options.materialize.value, serdes.value, `${store}'s value`);
    this.builder.addKeyValueStore(store, key, timestampedSerde(value), options.materialize.store);
    this.builder.addProcessor(store, tableMaterializeProcessor(store) as AnySupplier, [name], [store]);
    return this.sameKeys(new KTable(this.builder, store, { key, value }, storeGetter(store), store));
  }

  /** A table derived row by row keeps the window close times of its keys. */
  private sameKeys<V2>(table: KTable<K, V2>): KTable<K, V2> {
    table.windowCloseTime = this.windowCloseTime;
    return table;
  }

  /**
   * Holds back updates, then passes each key's latest on once: `{ untilWindowCloses: true }` when
   * its window closes (a windowed aggregation's table), or `{ untilTimeLimitMs }` after that much
   * stream time since its first held update. `maxRecords` bounds the keys held: past it the
   * earliest due goes out early. Held updates are in the store `name`, with a changelog.
   */
  suppress(options: { name: string; untilWindowCloses?: boolean; untilTimeLimitMs?: number; maxRecords?: number }): KTable<K, V> {
    const name = checkName(options.name, 'suppress()');
    const key = requireSerde(undefined, this.serdes.key, `suppress(${name})'s key`);
    const value = requireSerde(undefined, this.serdes.value, `suppress(${name})'s value`);
    let dueTime: (key: K, timestamp: number) => number;
    if (options.untilWindowCloses) {
      const close = this.windowCloseTime;
      if (close === null) throw new StreamsError('INVALID_TOPOLOGY', `suppress(${name}) until windows close needs the table of a windowed aggregation`);
      dueTime = (k) => close(k);
    } else if (options.untilTimeLimitMs !== undefined && options.untilTimeLimitMs >= 0) {
      const limit = options.untilTimeLimitMs;
      dueTime = (_k, timestamp) => timestamp + limit;
    } else {
      throw new StreamsError('INVALID_TOPOLOGY', `suppress(${name}) needs untilWindowCloses or a non-negative untilTimeLimitMs`);
    }
    this.builder.addKeyValueStore(name, key, bufferedSerde(value));
    const supplier = suppressProcessor<K, V>({ storeName: name, keySerde: key, dueTime, maxRecords: options.maxRecords ?? Number.MAX_SAFE_INTEGER });
    this.builder.addProcessor(name, supplier as AnySupplier, [this.node], [name]);
    return this.sameKeys(new KTable(this.builder, name, this.serdes, this.getter, null));
  }

  filter(predicate: (key: K, value: V) => boolean, options?: TableOperatorOptions<K, V>): KTable<K, V> {
    const getter = derivedGetter(this.getter, (k, v: V) => (predicate(k, v) ? v : null));
    return this.then('table-filter', tableFilterProcessor(predicate, true) as AnySupplier, options, this.serdes, getter);
  }

  filterNot(predicate: (key: K, value: V) => boolean, options?: TableOperatorOptions<K, V>): KTable<K, V> {
    const getter = derivedGetter(this.getter, (k, v: V) => (predicate(k, v) ? null : v));
    return this.then('table-filter-not', tableFilterProcessor(predicate, false) as AnySupplier, options, this.serdes, getter);
  }

  mapValues<V2>(mapper: (value: V, key: K) => V2, options?: TableOperatorOptions<K, V2>): KTable<K, V2> {
    const getter = derivedGetter(this.getter, (k, v: V) => mapper(v, k));
    return this.then('table-map-values', tableMapValuesProcessor(mapper) as AnySupplier, options, { key: this.serdes.key, value: undefined }, getter);
  }

  /** Groups the rows by a new key and value, to aggregate with an adder and a subtractor. */
  groupBy<K2, V2>(selector: (key: K, value: V) => [K2, V2], options: { name: string; key: Serde<K2>; value: Serde<V2> }): KGroupedTable<K2, V2> {
    const name = checkName(options.name, 'a table groupBy');
    this.builder.addProcessor(`${name}-select`, tableRegroupProcessor(selector, options.key) as AnySupplier, [this.node]);
    const input = regroupThroughTopic(this.builder, `${name}-select`, name, options.key, options.value);
    return new KGroupedTable(this.builder, input, options.key, options.value);
  }

  /** The table's changes as a stream: each update a record, each deletion a record with a null value. */
  toStream(named?: Named): KStream<K, V> {
    const name = named?.name ?? this.builder.nextName('to-stream');
    this.builder.addProcessor(name, toStreamProcessor() as AnySupplier, [this.node]);
    return new KStream(this.builder, name, this.serdes, false);
  }

  /**
   * A table of the rows whose key is in both tables, updated by changes on either side; or, with a
   * foreign-key extractor, each row joined with the other table's row its foreign key names.
   */
  join<VO, R>(other: KTable<K, VO>, joiner: (value: V, otherValue: VO) => R, options?: TableOperatorOptions<K, R>): KTable<K, R>;
  join<KO, VO, R>(other: KTable<KO, VO>, foreignKey: (value: V) => KO | null, joiner: (value: V, otherValue: VO) => R, options: ForeignKeyJoinOptions<R>): KTable<K, R>;
  join<KO, VO, R>(other: KTable<K, VO> | KTable<KO, VO>, a: ((value: V, otherValue: VO) => R) | ((value: V) => KO | null), b?: ((value: V, otherValue: VO) => R) | TableOperatorOptions<K, R>, c?: ForeignKeyJoinOptions<R>): KTable<K, R> {
    if (typeof b === 'function') return foreignKeyJoin(this, other as KTable<KO, VO>, a as (v: V) => KO | null, b as (v: V, o: VO | null) => R, false, c!);
    return this.joinTables(other as KTable<K, VO>, a as (l: V | null, r: VO | null) => R, 'inner', b);
  }

  leftJoin<VO, R>(other: KTable<K, VO>, joiner: (value: V, otherValue: VO | null) => R, options?: TableOperatorOptions<K, R>): KTable<K, R>;
  leftJoin<KO, VO, R>(other: KTable<KO, VO>, foreignKey: (value: V) => KO | null, joiner: (value: V, otherValue: VO | null) => R, options: ForeignKeyJoinOptions<R>): KTable<K, R>;
  leftJoin<KO, VO, R>(other: KTable<K, VO> | KTable<KO, VO>, a: ((value: V, otherValue: VO | null) => R) | ((value: V) => KO | null), b?: ((value: V, otherValue: VO | null) => R) | TableOperatorOptions<K, R>, c?: ForeignKeyJoinOptions<R>): KTable<K, R> {
    if (typeof b === 'function') return foreignKeyJoin(this, other as KTable<KO, VO>, a as (v: V) => KO | null, b, true, c!);
    return this.joinTables(other as KTable<K, VO>, a as (l: V | null, r: VO | null) => R, 'left', b);
  }

  outerJoin<VO, R>(other: KTable<K, VO>, joiner: (value: V | null, otherValue: VO | null) => R, options?: TableOperatorOptions<K, R>): KTable<K, R> {
    return this.joinTables(other, joiner, 'outer', options);
  }

  private joinTables<VO, R>(other: KTable<K, VO>, joiner: (l: V | null, r: VO | null) => R, type: JoinType, options?: TableOperatorOptions<K, R>): KTable<K, R> {
    const name = options?.name ?? this.builder.nextName(`table-${type}-join`);
    const row = (l: V | null, r: VO | null) => joinRow(type, joiner, l, r);
    const stores = [...new Set([...this.getter.stores, ...other.getter.stores])];
    this.builder.addProcessor(`${name}-left`, tableTableJoinProcessor(other.getter, (mine: V | null, theirs: VO | null) => row(mine, theirs)) as AnySupplier, [this.node], other.getter.stores);
    this.builder.addProcessor(`${name}-right`, tableTableJoinProcessor(this.getter, (mine: VO | null, theirs: V | null) => row(theirs, mine)) as AnySupplier, [other.node], this.getter.stores);
    this.builder.copartition([...this.builder.sourceTopicsOf(this.node), ...this.builder.sourceTopicsOf(other.node)]);
    const getter: TableGetter<K, R> = {
      stores,
      lookup: (context) => {
        const left = this.getter.lookup(context);
        const right = other.getter.lookup(context);
        return (key) => {
          const l = left(key);
          const r = right(key);
          const value = row(l?.value ?? null, r?.value ?? null);
          return value === null ? undefined : { value, timestamp: Math.max(l?.timestamp ?? -1, r?.timestamp ?? -1) };
        };
      },
    };
    // Both sides' changes continue from one node.
    return this.then('table-join', passThrough() as AnySupplier, { ...options, name }, { key: this.serdes.key, value: undefined }, getter, [`${name}-left`, `${name}-right`]);
  }
}
