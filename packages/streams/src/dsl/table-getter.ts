import type { ProcessorContext } from '../processor.ts';
import type { KeyValueStore } from '../stores/key-value-store.ts';
import type { TimestampedValue } from '../record.ts';

/** Reads a table's current row for a key, inside a task: how joins look a table up. */
export type ValueLookup<K, V> = (key: K) => TimestampedValue<V> | undefined;

/**
 * How to read a table that may not be stored itself (a filter or mapValues of a stored table):
 * the stores it reads, and a lookup built from a processor's context.
 */
export interface TableGetter<K, V> {
  stores: string[];
  lookup(context: ProcessorContext<unknown, unknown>): ValueLookup<K, V>;
}

export function storeGetter<K, V>(storeName: string): TableGetter<K, V> {
  return {
    stores: [storeName],
    lookup: (context) => {
      const store = context.getStateStore<KeyValueStore<K, TimestampedValue<V>>>(storeName);
      return (key) => store.get(key);
    },
  };
}

/** A getter through a row transform: null (filtered out) reads as absent. */
export function derivedGetter<K, V, V2>(parent: TableGetter<K, V>, transform: (key: K, value: V) => V2 | null): TableGetter<K, V2> {
  return {
    stores: parent.stores,
    lookup: (context) => {
      const get = parent.lookup(context);
      return (key) => {
        const row = get(key);
        if (row === undefined) return undefined;
        const value = transform(key, row.value);
        return value === null ? undefined : { value, timestamp: row.timestamp };
      };
    },
  };
}
