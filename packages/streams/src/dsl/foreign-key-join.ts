import type { ProcessorSupplier } from '../processor.ts';
import { foreignChangeProcessor, resolveResponseProcessor, responseSerde, subscribeProcessor, subscriptionKeySerde, subscriptionReceiveProcessor, subscriptionSerde } from '../processors/foreign-key-join.ts';
import { tableMaterializeProcessor } from '../processors/table-ops.ts';
import { type Serde, Serdes } from '../serdes.ts';
import { timestampedSerde } from '../stores/timestamped.ts';
import { KTable } from './ktable.ts';
import { checkName, requireSerde } from './serde-options.ts';
import { storeGetter } from './table-getter.ts';

type AnySupplier = ProcessorSupplier<never, never, unknown, unknown>;

export interface ForeignKeyJoinOptions<R> {
  /**
   * Names the join's topics (`<name>-subscription-registration-topic`, `<name>-subscription-response-topic`),
   * its subscription store, and the store of its result (`<name>`).
   */
  name: string;
  /** The result's serde, for its store's changelog (default: JSON). */
  value?: Serde<R>;
}

/**
 * Joins each left row with the right row whose key its foreign key names. The two tables need
 * not be co-partitioned: subscriptions travel to the right side's partitions and answers back.
 */
export function foreignKeyJoin<K, V, KO, VO, R>(left: KTable<K, V>, right: KTable<KO, VO>, foreignKey: (value: V) => KO | null, joiner: (value: V, other: VO | null) => R, leftJoin: boolean, options: ForeignKeyJoinOptions<R>): KTable<K, R> {
  const { builder } = left;
  const name = checkName(options.name, 'a foreign-key join');
  const leftKey = requireSerde(undefined, left.serdes.key, `${name}'s left key`);
  const leftValue = requireSerde(undefined, left.serdes.value, `${name}'s left value`);
  const rightKey = requireSerde(undefined, right.serdes.key, `${name}'s right key`);
  const rightValue = requireSerde(undefined, right.serdes.value, `${name}'s right value`);
  const resultValue = options.value ?? Serdes.json<R>();
  const registration = builder.addInternalTopic(`${name}-subscription-registration-topic`, null, name);
  const response = builder.addInternalTopic(`${name}-subscription-response-topic`, null, name);
  const store = `${name}-subscription-store`;
  const storeKey = subscriptionKeySerde(rightKey, leftKey);
  builder.addKeyValueStore(store, storeKey, Serdes.bytes());

  builder.addProcessor(`${name}-subscribe`, subscribeProcessor(foreignKey, rightKey, leftValue, leftJoin) as AnySupplier, [left.node]);
  builder.addSink(`${name}-subscription-sink`, registration, rightKey as Serde<unknown>, subscriptionSerde(leftKey) as Serde<unknown>, null, [`${name}-subscribe`]);
  builder.addSource(`${name}-subscription-source`, [registration], rightKey as Serde<unknown>, subscriptionSerde(leftKey) as Serde<unknown>);
  builder.addProcessor(`${name}-subscription-receive`, subscriptionReceiveProcessor(store, right.getter) as AnySupplier, [`${name}-subscription-source`], [store, ...right.getter.stores]);
  builder.addProcessor(`${name}-foreign-change`, foreignChangeProcessor(store, (fk: KO) => storeKey.prefix(fk)) as AnySupplier, [right.node], [store]);
  builder.addSink(`${name}-response-sink`, response, leftKey as Serde<unknown>, responseSerde(rightValue) as Serde<unknown>, null, [`${name}-subscription-receive`, `${name}-foreign-change`]);
  builder.addSource(`${name}-response-source`, [response], leftKey as Serde<unknown>, responseSerde(rightValue) as Serde<unknown>);
  builder.addProcessor(`${name}-resolve`, resolveResponseProcessor(left.getter, leftValue, joiner, leftJoin) as AnySupplier, [`${name}-response-source`], left.getter.stores);
  builder.addKeyValueStore(name, leftKey, timestampedSerde(resultValue));
  builder.addProcessor(name, tableMaterializeProcessor(name) as AnySupplier, [`${name}-resolve`], [name]);
  builder.copartition([registration, ...builder.sourceTopicsOf(right.node)]);
  builder.copartition([response, ...builder.sourceTopicsOf(left.node)]);
  return new KTable(builder, name, { key: leftKey, value: resultValue }, storeGetter(name), name);
}
