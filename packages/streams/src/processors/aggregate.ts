import { type InternalProcessorContext, internalContext } from '../engine/node-context.ts';
import type { ProcessorSupplier } from '../processor.ts';
import type { Change, TimestampedValue } from '../record.ts';
import type { KeyValueStore } from '../stores/key-value-store.ts';

export type Aggregator<K, V, A> = (key: K, value: V, aggregate: A) => A;

/**
 * Aggregates a grouped stream into a table: records with a null key or value are skipped (and
 * counted); the aggregate's timestamp is the largest of the records it holds.
 */
export function streamAggregateProcessor<K, V, A>(storeName: string, initializer: () => A, aggregator: Aggregator<K, V, A>): ProcessorSupplier<K, V, K, Change<A>> {
  return () => {
    let context!: InternalProcessorContext<K, Change<A>>;
    let store!: KeyValueStore<K, TimestampedValue<A>>;
    return {
      init(c) {
        context = internalContext(c);
        store = c.getStateStore(storeName);
      },
      process(record) {
        if (record.key === null || record.key === undefined) return context.recordDropped('null-key', `${storeName} skips records without a key`);
        if (record.value === null || record.value === undefined) return context.recordDropped('null-value', `${storeName} skips records without a value`);
        const old = store.get(record.key);
        const value = aggregator(record.key, record.value, old === undefined ? initializer() : old.value);
        const timestamp = old === undefined ? record.timestamp : Math.max(record.timestamp, old.timestamp);
        store.put(record.key, { value, timestamp }, timestamp);
        context.forward({ key: record.key, value: { newValue: value, oldValue: old?.value ?? null }, timestamp, headers: record.headers });
      },
    };
  };
}

/**
 * Materializes a stream of upserts as a table: a null value deletes the key. Records without a
 * key are skipped (a table has no row for them).
 */
export function tableSourceProcessor<K, V>(storeName: string): ProcessorSupplier<K, V | null, K, Change<V>> {
  return () => {
    let context!: InternalProcessorContext<K, Change<V>>;
    let store!: KeyValueStore<K, TimestampedValue<V>>;
    return {
      init(c) {
        context = internalContext(c);
        store = c.getStateStore(storeName);
      },
      process(record) {
        if (record.key === null || record.key === undefined) return context.recordDropped('null-key', `table ${storeName} skips records without a key`);
        const old = store.get(record.key);
        const value = record.value ?? null;
        if (value === null && old === undefined) return;
        store.put(record.key, value === null ? null : { value, timestamp: record.timestamp }, record.timestamp);
        context.forward({ key: record.key, value: { newValue: value, oldValue: old?.value ?? null }, timestamp: record.timestamp, headers: record.headers });
      },
    };
  };
}
