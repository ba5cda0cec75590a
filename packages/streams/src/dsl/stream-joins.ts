import type { ProcessorSupplier } from '../processor.ts';
import { streamStreamJoinProcessor, waitingKeySerde, waitingValueSerde } from '../processors/stream-stream-join.ts';
import { streamTableJoinProcessor } from '../processors/stream-table-join.ts';
import type { JoinType } from '../processors/table-table-join.ts';
import { passThrough } from '../processors/stateless.ts';
import type { Serde } from '../serdes.ts';
import { windowStoreBuilder } from '../stores/window-store.ts';
import { KStream } from './kstream.ts';
import type { KTable } from './ktable.ts';
import { checkName, requireSerde } from './serde-options.ts';
import type { JoinWindows } from './windows.ts';

export interface StreamTableJoinOptions<K, V> {
  /** Names the join; needed when the stream's key changed upstream (it names the repartition topic). */
  name?: string;
  key?: Serde<K>;
  value?: Serde<V>;
}

export interface StreamJoinOptions<K, V, VO> {
  /** Names the join's stores `<name>-left-store`, `<name>-right-store` (and `<name>-outer-store` for left and outer joins). */
  name: string;
  key?: Serde<K>;
  value?: Serde<V>;
  otherValue?: Serde<VO>;
}

type AnySupplier = ProcessorSupplier<never, never, unknown, unknown>;

/** Repartitions a stream whose key changed upstream, so that each key meets its match in one task. */
function keyed<K, V>(stream: KStream<K, V>, name: string | undefined, what: string, key?: Serde<K>, value?: Serde<V>): KStream<K, V> {
  if (!stream.repartitionRequired) return stream;
  return stream.repartition({ name: checkName(name, `${what} of a stream whose key changed`), key, value });
}

export function joinStreamWithTable<K, V, VT, R>(stream: KStream<K, V>, table: KTable<K, VT>, joiner: (value: V, tableValue: VT | null) => R, left: boolean, options: StreamTableJoinOptions<K, V>): KStream<K, R> {
  const { builder } = stream;
  // The table's key serde fits the stream's key: the join looks it up in the table.
  const input = keyed(stream, options.name, 'a stream-table join', options.key ?? table.serdes.key, options.value);
  const name = options.name ?? builder.nextName(left ? 'left-join' : 'join');
  builder.addProcessor(name, streamTableJoinProcessor(table.getter, joiner, left, name) as AnySupplier, [input.node], table.getter.stores);
  builder.copartition([...builder.sourceTopicsOf(input.node), ...builder.sourceTopicsOf(table.node)]);
  return new KStream<K, R>(builder, name, { key: input.serdes.key, value: undefined }, false);
}

export function joinStreams<K, V, VO, R>(leftStream: KStream<K, V>, rightStream: KStream<K, VO>, joiner: (left: V | null, right: VO | null) => R, windows: JoinWindows, type: JoinType, options: StreamJoinOptions<K, V, VO>): KStream<K, R> {
  const { builder } = leftStream;
  const name = checkName(options.name, 'a stream-stream join');
  const left = keyed(leftStream, `${name}-left`, 'a stream-stream join', options.key ?? rightStream.serdes.key, options.value);
  const right = keyed(rightStream, `${name}-right`, 'a stream-stream join', options.key ?? leftStream.serdes.key, options.otherValue);
  const key = requireSerde(options.key, left.serdes.key ?? right.serdes.key, `join ${name}'s key`);
  const leftValue = requireSerde(options.value, left.serdes.value, `join ${name}'s left value`);
  const rightValue = requireSerde(options.otherValue, right.serdes.value, `join ${name}'s right value`);
  const retention = windows.beforeMs + windows.afterMs + windows.graceMs;
  const stores = { left: `${name}-left-store`, right: `${name}-right-store`, outer: type === 'inner' ? null : `${name}-outer-store` };
  builder.addStore(windowStoreBuilder(stores.left, key, leftValue, retention, true));
  builder.addStore(windowStoreBuilder(stores.right, key, rightValue, retention, true));
  if (stores.outer !== null) builder.addKeyValueStore(stores.outer, waitingKeySerde(key), waitingValueSerde(leftValue, rightValue));
  const storeNames = [stores.left, stores.right, ...(stores.outer === null ? [] : [stores.outer])];
  const side = (isLeft: boolean) => streamStreamJoinProcessor<K, unknown, unknown, R>({
    name, isLeft, type, windows, ownStore: isLeft ? stores.left : stores.right, otherStore: isLeft ? stores.right : stores.left, outerStore: stores.outer,
    joiner: joiner as (l: unknown, r: unknown) => R,
  }) as AnySupplier;
  builder.addProcessor(`${name}-left`, side(true), [left.node], storeNames);
  builder.addProcessor(`${name}-right`, side(false), [right.node], storeNames);
  builder.addProcessor(name, passThrough() as AnySupplier, [`${name}-left`, `${name}-right`]);
  builder.copartition([...builder.sourceTopicsOf(left.node), ...builder.sourceTopicsOf(right.node)]);
  return new KStream<K, R>(builder, name, { key, value: undefined }, false);
}
