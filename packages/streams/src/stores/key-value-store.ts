import type { Serde } from '../serdes.ts';
import { PersistentKeyValueStore } from './persistent-key-value-store.ts';
import { SortedKeys } from './sorted-keys.ts';
import { byteKey, NO_LOG, type StateStore, type StoreBuilder, type StoreContext } from './state-store.ts';

export interface KeyValueStore<K, V> extends StateStore {
  get(key: K): V | undefined;
  /** A null value deletes the key. */
  put(key: K, value: V | null, timestamp?: number): void;
  delete(key: K): V | undefined;
  /** Entries in the order of their serialized keys, from `from` to `to` inclusive (either open when undefined). */
  range(from?: K, to?: K): [K, V][];
  /**
   * The same entries as `range`, read one at a time as the loop asks for them: a loop that stops
   * early reads no further. The store may change meanwhile (deleting the entry just read is safe).
   */
  entries(from?: K, to?: K): IterableIterator<[K, V]>;
  all(): [K, V][];
  /** Entries whose serialized key starts with `prefix`, in key order. */
  prefixScan(prefix: Buffer): [K, V][];
  approximateNumEntries(): number;
}

interface Entry<K, V> {
  key: K;
  value: V;
}

/**
 * An in-memory key-value store: a Map by serialized key, and the keys kept sorted (as Kafka
 * Streams' byte-ordered stores sort them) for ranges, each read in O(log n) and then per entry.
 * Every change is written to the changelog as it happens.
 */
export class InMemoryKeyValueStore<K, V> implements KeyValueStore<K, V> {
  readonly name: string;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly byKey = new Map<string, Entry<K, V>>();
  private readonly sorted = new SortedKeys();
  private context: StoreContext = NO_LOG;

  constructor(name: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.name = name;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  init(context: StoreContext): void {
    this.context = context;
  }

  get(key: K): V | undefined {
    return this.byKey.get(byteKey(this.keySerde.serialize(key)))?.value;
  }

  put(key: K, value: V | null, timestamp = 0): void {
    const keyBytes = this.keySerde.serialize(key);
    this.set(byteKey(keyBytes), value === null ? null : { key, value });
    this.context.log(keyBytes, value === null ? null : this.valueSerde.serialize(value), timestamp);
  }

  private set(id: string, entry: Entry<K, V> | null): void {
    if (entry === null) {
      if (this.byKey.delete(id)) this.sorted.delete(id);
      return;
    }
    if (!this.byKey.has(id)) this.sorted.add(id);
    this.byKey.set(id, entry);
  }

  delete(key: K): V | undefined {
    const old = this.get(key);
    if (old !== undefined) this.put(key, null);
    return old;
  }

  range(from?: K, to?: K): [K, V][] {
    return [...this.entries(from, to)];
  }

  *entries(from?: K, to?: K): IterableIterator<[K, V]> {
    const low = from === undefined ? null : byteKey(this.keySerde.serialize(from));
    const high = to === undefined ? null : byteKey(this.keySerde.serialize(to));
    for (const id of this.sorted.from(low, high === null ? undefined : (k) => k <= high)) {
      const entry = this.byKey.get(id)!;
      yield [entry.key, entry.value];
    }
  }

  all(): [K, V][] {
    return this.range();
  }

  prefixScan(prefix: Buffer): [K, V][] {
    const start = byteKey(prefix);
    return [...this.sorted.from(start, (k) => k.startsWith(start))].map((id) => {
      const entry = this.byKey.get(id)!;
      return [entry.key, entry.value];
    });
  }

  approximateNumEntries(): number {
    return this.byKey.size;
  }

  restore(key: Buffer, value: Buffer | null): void {
    this.set(byteKey(key), value === null ? null : { key: this.keySerde.deserialize(key), value: this.valueSerde.deserialize(value) });
  }

  /** Built empty: restored from the changelog's start. */
  restoreFrom(): number {
    return 0;
  }

  /** Nothing of it outlives the process. */
  commit(): void {}

  flush(): void {}

  close(): void {
    this.byKey.clear();
    this.sorted.clear();
  }
}

/** Where a key-value store keeps its state: in memory (restored whole on start) or in a SQLite file under the state directory. */
export type StoreType = 'in-memory' | 'persistent';

export function keyValueStoreBuilder<K, V>(name: string, keySerde: Serde<K>, valueSerde: Serde<V>, options: { logged?: boolean; type?: StoreType } = {}): StoreBuilder {
  const persistent = options.type === 'persistent';
  return {
    name,
    kind: 'key-value',
    logged: options.logged ?? true,
    persistent,
    changelogConfigs: { 'cleanup.policy': 'compact' },
    build: () => (persistent ? new PersistentKeyValueStore(name, keySerde, valueSerde) : new InMemoryKeyValueStore(name, keySerde, valueSerde)),
  };
}
