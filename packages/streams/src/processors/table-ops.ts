import type { ProcessorContext, ProcessorSupplier } from '../processor.ts';
import type { Change, TimestampedValue } from '../record.ts';
import type { KeyValueStore } from '../stores/key-value-store.ts';

/** A table's row filter: a row that stops passing becomes a tombstone downstream; changes that stay filtered out go nowhere. */
export function tableFilterProcessor<K, V>(predicate: (key: K, value: V) => boolean, keep: boolean): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  const pass = (key: K, value: V | null) => (value !== null && predicate(key, value) === keep ? value : null);
  return tableTransform((key, change) => ({ newValue: pass(key, change.newValue), oldValue: pass(key, change.oldValue) }));
}

export function tableMapValuesProcessor<K, V, V2>(mapper: (value: V, key: K) => V2): ProcessorSupplier<K, Change<V>, K, Change<V2>> {
  const map = (key: K, value: V | null) => (value === null ? null : mapper(value, key));
  return tableTransform((key, change) => ({ newValue: map(key, change.newValue), oldValue: map(key, change.oldValue) }));
}

function tableTransform<K, V, V2>(transform: (key: K, change: Change<V>) => Change<V2>): ProcessorSupplier<K, Change<V>, K, Change<V2>> {
  return () => {
    let context!: ProcessorContext<K, Change<V2>>;
    return {
      init(c) {
        context = c;
      },
      process(record) {
        const change = transform(record.key, record.value);
        if (change.newValue === null && change.oldValue === null) return;
        context.forward({ key: record.key, value: change, timestamp: record.timestamp, headers: record.headers });
      },
    };
  };
}

/** Stores a table's rows as they change (a table materialized after a filter or a mapValues). */
export function tableMaterializeProcessor<K, V>(storeName: string): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => {
    let context!: ProcessorContext<K, Change<V>>;
    let store!: KeyValueStore<K, TimestampedValue<V>>;
    return {
      init(c) {
        context = c;
        store = c.getStateStore(storeName);
      },
      process(record) {
        const old = store.get(record.key);
        store.put(record.key, record.value.newValue === null ? null : { value: record.value.newValue, timestamp: record.timestamp }, record.timestamp);
        context.forward({ ...record, value: { newValue: record.value.newValue, oldValue: record.value.oldValue ?? old?.value ?? null } });
      },
    };
  };
}

export function toStreamProcessor<K, V>(): ProcessorSupplier<K, Change<V>, K, V | null> {
  return () => {
    let context!: ProcessorContext<K, V | null>;
    return {
      init(c) {
        context = c;
      },
      process(record) {
        context.forward({ key: record.key, value: record.value.newValue, timestamp: record.timestamp, headers: record.headers });
      },
    };
  };
}
