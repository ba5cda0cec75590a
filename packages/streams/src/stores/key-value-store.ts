import type { Serde } from '../serdes.ts';
import { PersistentKeyValueStore } from './persistent-key-value-store.ts';
import { byteKey, NO_LOG, type StateStore, type StoreBuilder, type StoreContext } from './state-store.ts';

export interface KeyValueStore<K, V> extends StateStore {
  get(key: K): V | undefined;
  /** A null value deletes the key. */
  put(key: K, value: V | null, timestamp?: number): void;
  delete(key: K): V | undefined;
  /** Entries in the order of their serialized keys, from `from` to `to` inclusive (either open when undefined). */
  range(from?: K, to?: K): [K, V][];
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
 * An in-memory key-value store: a Map by serialized key (so entries sort as Kafka Streams'
 * byte-ordered stores do), every change written to the changelog as it happens.
 */
export class InMemoryKeyValueStore<K, V> implements KeyValueStore<K, V> {
  readonly name: string;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly entries = new Map<string, Entry<K, V>>();
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
    return this.entries.get(byteKey(this.keySerde.serialize(key)))?.value;
  }

  put(key: K, value: V | null, timestamp = 0): void {
    const keyBytes = this.keySerde.serialize(key);
    if (value === null) {
      this.entries.delete(byteKey(keyBytes));
      this.context.log(keyBytes, null, timestamp);
      return;
    }
    this.entries.set(byteKey(keyBytes), { key, value });
    this.context.log(keyBytes, this.valueSerde.serialize(value), timestamp);
  }

  delete(key: K): V | undefined {
    const old = this.get(key);
    if (old !== undefined) this.put(key, null);
    return old;
  }

  range(from?: K, to?: K): [K, V][] {
    const low = from === undefined ? null : byteKey(this.keySerde.serialize(from));
    const high = to === undefined ? null : byteKey(this.keySerde.serialize(to));
    return [...this.entries]
      .filter(([k]) => (low === null || k >= low) && (high === null || k <= high))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, e]) => [e.key, e.value]);
  }

  all(): [K, V][] {
    return this.range();
  }

  prefixScan(prefix: Buffer): [K, V][] {
    const start = byteKey(prefix);
    return [...this.entries]
      .filter(([k]) => k.startsWith(start))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, e]) => [e.key, e.value]);
  }

  approximateNumEntries(): number {
    return this.entries.size;
  }

  restore(key: Buffer, value: Buffer | null): void {
    if (value === null) this.entries.delete(byteKey(key));
    else this.entries.set(byteKey(key), { key: this.keySerde.deserialize(key), value: this.valueSerde.deserialize(value) });
  }

  /** Built empty: restored from the changelog's start. */
  restoreFrom(): number {
    return 0;
  }

  /** Nothing of it outlives the process. */
  commit(): void {}

  flush(): void {}

  close(): void {
    this.entries.clear();
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
