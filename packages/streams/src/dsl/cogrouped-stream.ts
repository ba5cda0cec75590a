import { type Aggregator, streamAggregateProcessor } from '../processors/aggregate.ts';
import { passThrough } from '../processors/stateless.ts';
import type { ProcessorSupplier } from '../processor.ts';
import { timestampedSerde } from '../stores/timestamped.ts';
import type { KGroupedStream, Materialized } from './grouped-stream.ts';
import { KTable } from './ktable.ts';
import { checkName, requireSerde } from './serde-options.ts';
import { storeGetter } from './table-getter.ts';

type AnySupplier = ProcessorSupplier<never, never, unknown, unknown>;

/**
 * Several grouped streams of one key feeding one aggregate, each with its own aggregator, in one
 * store (Kafka Streams' cogroup): `a.cogroup(f).cogroup(b, g).aggregate(init, { name })`.
 */
export class CogroupedKStream<K, A> {
  private readonly inputs: { grouped: KGroupedStream<K, unknown>; aggregator: Aggregator<K, unknown, A> }[] = [];

  constructor(grouped: KGroupedStream<K, unknown>, aggregator: Aggregator<K, unknown, A>) {
    this.inputs.push({ grouped, aggregator });
  }

  cogroup<V>(grouped: KGroupedStream<K, V>, aggregator: Aggregator<K, V, A>): this {
    this.inputs.push({ grouped: grouped as KGroupedStream<K, unknown>, aggregator: aggregator as Aggregator<K, unknown, A> });
    return this;
  }

  /** Repartitions each input whose key changed (through `<applicationId>-<name>-<i>-repartition` unless its grouping is named). */
  aggregate(initializer: () => A, options: Materialized<K, A>): KTable<K, A> {
    const name = checkName(options.name, 'a cogrouped aggregation');
    const { builder } = this.inputs[0].grouped;
    const key = requireSerde(options.key, this.inputs.map((i) => i.grouped.serdes.key).find(Boolean), `${name}'s key`);
    const value = requireSerde(options.value, undefined, `${name}'s aggregate value`);
    builder.addKeyValueStore(name, key, timestampedSerde(value), options.store);
    const steps = this.inputs.map(({ grouped, aggregator }, i) => {
      const step = `${name}-${i}`;
      builder.addProcessor(step, streamAggregateProcessor(name, initializer, aggregator) as AnySupplier, [grouped.input(step)], [name]);
      return step;
    });
    builder.addProcessor(name, passThrough() as AnySupplier, steps);
    // One store holds every input's keys: their partitions must line up.
    builder.copartition(steps.flatMap((step) => builder.sourceTopicsOf(step)));
    return new KTable(builder, name, { key, value }, storeGetter(name), name);
  }
}
