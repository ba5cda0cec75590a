import type { Serde } from '../serdes.ts';
import { byteKey, NO_LOG, type StateStore, type StoreBuilder, type StoreContext } from './state-store.ts';

export interface WindowStore<K, V> extends StateStore {
  /** Sets the value of `key`'s window starting at `windowStart` (null removes it); with duplicates retained, adds one more. */
  put(key: K, value: V | null, windowStart: number): void;
  fetch(key: K, windowStart: number): V | undefined;
  /** `key`'s windows starting from `from` to `to` inclusive, by start (duplicates in the order put). */
  fetchRange(key: K, from: number, to: number): [number, V][];
  /** Every key's windows starting from `from` to `to` inclusive. */
  fetchAll(from: number, to: number): { key: K; start: number; value: V }[];
}

interface KeyWindows<K, V> {
  key: K;
  keyBytes: Buffer;
  /** Values by window start; several per start only when duplicates are retained. */
  windows: Map<number, V[]>;
}

/**
 * An in-memory window store. Windows older than the retention (behind the latest window start
 * put) are no longer returned, and dropped at the next flush; a put that old is ignored, as Kafka
 * Streams' segmented stores do. The changelog key is the key's bytes, the start and a sequence number.
 */
export class InMemoryWindowStore<K, V> implements WindowStore<K, V> {
  readonly name: string;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly retentionMs: number;
  private readonly retainDuplicates: boolean;
  private readonly byKey = new Map<string, KeyWindows<K, V>>();
  private observedStart = Number.MIN_SAFE_INTEGER;
  private sequence = 0;
  private context: StoreContext = NO_LOG;

  constructor(name: string, keySerde: Serde<K>, valueSerde: Serde<V>, retentionMs: number, retainDuplicates: boolean) {
    this.name = name;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.retentionMs = retentionMs;
    this.retainDuplicates = retainDuplicates;
  }

  init(context: StoreContext): void {
    this.context = context;
  }

  /** The earliest window start the store keeps. */
  private oldestKept(): number {
    return this.observedStart - this.retentionMs;
  }

  put(key: K, value: V | null, windowStart: number): void {
    this.observedStart = Math.max(this.observedStart, windowStart);
    if (windowStart < this.oldestKept()) return;
    const keyBytes = this.keySerde.serialize(key);
    const sequence = this.retainDuplicates ? ++this.sequence : 0;
    this.apply(keyBytes, () => key, windowStart, value);
    this.context.log(changelogKey(keyBytes, windowStart, sequence), value === null ? null : this.valueSerde.serialize(value), windowStart);
  }

  private apply(keyBytes: Buffer, key: () => K, windowStart: number, value: V | null): void {
    const k = byteKey(keyBytes);
    let entry = this.byKey.get(k);
    if (value === null) {
      entry?.windows.delete(windowStart);
      if (entry?.windows.size === 0) this.byKey.delete(k);
      return;
    }
    if (!entry) this.byKey.set(k, (entry = { key: key(), keyBytes, windows: new Map() }));
    const values = this.retainDuplicates ? entry.windows.get(windowStart) ?? [] : [];
    values.push(value);
    entry.windows.set(windowStart, values);
  }

  fetch(key: K, windowStart: number): V | undefined {
    if (windowStart < this.oldestKept()) return undefined;
    return this.byKey.get(byteKey(this.keySerde.serialize(key)))?.windows.get(windowStart)?.[0];
  }

  fetchRange(key: K, from: number, to: number): [number, V][] {
    const entry = this.byKey.get(byteKey(this.keySerde.serialize(key)));
    if (!entry) return [];
    const low = Math.max(from, this.oldestKept());
    return [...entry.windows]
      .filter(([start]) => start >= low && start <= to)
      .sort(([a], [b]) => a - b)
      .flatMap(([start, values]) => values.map((v): [number, V] => [start, v]));
  }

  fetchAll(from: number, to: number): { key: K; start: number; value: V }[] {
    const low = Math.max(from, this.oldestKept());
    const out: { key: K; start: number; value: V }[] = [];
    for (const [, entry] of [...this.byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      for (const [start, values] of [...entry.windows].sort(([a], [b]) => a - b)) {
        if (start >= low && start <= to) for (const value of values) out.push({ key: entry.key, start, value });
      }
    }
    return out;
  }

  restore(key: Buffer, value: Buffer | null): void {
    const keyBytes = key.subarray(0, key.length - 12);
    const start = Number(key.readBigInt64BE(key.length - 12));
    this.observedStart = Math.max(this.observedStart, start);
    this.apply(Buffer.from(keyBytes), () => this.keySerde.deserialize(keyBytes), start, value === null ? null : this.valueSerde.deserialize(value));
  }

  /** Built empty: restored from the changelog's start. */
  restoreFrom(): number {
    return 0;
  }

  /** Nothing of it outlives the process. */
  commit(): void {}

  flush(): void {
    const oldest = this.oldestKept();
    for (const [k, entry] of this.byKey) {
      for (const start of entry.windows.keys()) if (start < oldest) entry.windows.delete(start);
      if (entry.windows.size === 0) this.byKey.delete(k);
    }
  }

  close(): void {
    this.byKey.clear();
  }
}

function changelogKey(keyBytes: Buffer, windowStart: number, sequence: number): Buffer {
  const suffix = Buffer.allocUnsafe(12);
  suffix.writeBigInt64BE(BigInt(windowStart), 0);
  suffix.writeInt32BE(sequence | 0, 8);
  return Buffer.concat([keyBytes, suffix]);
}

export function windowStoreBuilder<K, V>(name: string, keySerde: Serde<K>, valueSerde: Serde<V>, retentionMs: number, retainDuplicates = false, logged = true): StoreBuilder {
  return {
    name,
    kind: 'window',
    logged,
    persistent: false,
    // A day on top of the store's own retention, as Kafka Streams' windowstore.changelog.additional.retention.ms.
    changelogConfigs: { 'cleanup.policy': 'compact,delete', 'retention.ms': String(retentionMs + 86_400_000) },
    build: () => new InMemoryWindowStore(name, keySerde, valueSerde, retentionMs, retainDuplicates),
  };
}
