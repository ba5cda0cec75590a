import type { Window, Windowed } from '../record.ts';
import type { Serde } from '../serdes.ts';
import { byteKey, NO_LOG, type StateStore, type StoreBuilder, type StoreContext } from './state-store.ts';

export interface SessionStore<K, V> extends StateStore {
  /** `key`'s sessions that end at or after `earliestEnd` and start at or before `latestStart`, by end then start. */
  findSessions(key: K, earliestEnd: number, latestStart: number): [Window, V][];
  /** Every key's sessions ending from `fromEnd` to `toEnd` inclusive, by end. */
  sessionsEndingBetween(fromEnd: number, toEnd: number): [Windowed<K>, V][];
  put(key: K, window: Window, value: V | null): void;
  remove(key: K, window: Window): void;
}

interface KeySessions<K, V> {
  key: K;
  /** By `${end}:${start}`. */
  sessions: Map<string, { window: Window; value: V }>;
}

/**
 * An in-memory session store. Sessions ending before the retention (behind the latest session end
 * put) are dropped at the next flush. Its changelog key is Kafka Streams' session key: the key's
 * bytes, then the end and the start (8 bytes each).
 */
export class InMemorySessionStore<K, V> implements SessionStore<K, V> {
  readonly name: string;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private readonly retentionMs: number;
  private readonly byKey = new Map<string, KeySessions<K, V>>();
  private observedEnd = Number.MIN_SAFE_INTEGER;
  private context: StoreContext = NO_LOG;

  constructor(name: string, keySerde: Serde<K>, valueSerde: Serde<V>, retentionMs: number) {
    this.name = name;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.retentionMs = retentionMs;
  }

  init(context: StoreContext): void {
    this.context = context;
  }

  findSessions(key: K, earliestEnd: number, latestStart: number): [Window, V][] {
    const entry = this.byKey.get(byteKey(this.keySerde.serialize(key)));
    if (!entry) return [];
    return [...entry.sessions.values()]
      .filter((s) => s.window.end >= earliestEnd && s.window.start <= latestStart)
      .sort((a, b) => a.window.end - b.window.end || a.window.start - b.window.start)
      .map((s) => [s.window, s.value]);
  }

  sessionsEndingBetween(fromEnd: number, toEnd: number): [Windowed<K>, V][] {
    const out: [Windowed<K>, V][] = [];
    for (const entry of this.byKey.values()) {
      for (const s of entry.sessions.values()) if (s.window.end >= fromEnd && s.window.end <= toEnd) out.push([{ key: entry.key, window: s.window }, s.value]);
    }
    return out.sort(([a], [b]) => a.window.end - b.window.end || a.window.start - b.window.start);
  }

  put(key: K, window: Window, value: V | null): void {
    const keyBytes = this.keySerde.serialize(key);
    this.apply(keyBytes, () => key, window, value);
    this.context.log(changelogKey(keyBytes, window), value === null ? null : this.valueSerde.serialize(value), window.end);
  }

  remove(key: K, window: Window): void {
    this.put(key, window, null);
  }

  private apply(keyBytes: Buffer, key: () => K, window: Window, value: V | null): void {
    const k = byteKey(keyBytes);
    const id = `${window.end}:${window.start}`;
    let entry = this.byKey.get(k);
    if (value === null) {
      entry?.sessions.delete(id);
      if (entry?.sessions.size === 0) this.byKey.delete(k);
      return;
    }
    this.observedEnd = Math.max(this.observedEnd, window.end);
    if (!entry) this.byKey.set(k, (entry = { key: key(), sessions: new Map() }));
    entry.sessions.set(id, { window, value });
  }

  restore(key: Buffer, value: Buffer | null): void {
    const keyBytes = key.subarray(0, key.length - 16);
    const window = { end: Number(key.readBigInt64BE(key.length - 16)), start: Number(key.readBigInt64BE(key.length - 8)) };
    this.apply(Buffer.from(keyBytes), () => this.keySerde.deserialize(keyBytes), window, value === null ? null : this.valueSerde.deserialize(value));
  }

  /** Built empty: restored from the changelog's start. */
  restoreFrom(): number {
    return 0;
  }

  /** Nothing of it outlives the process. */
  commit(): void {}

  flush(): void {
    const oldest = this.observedEnd - this.retentionMs;
    for (const [k, entry] of this.byKey) {
      for (const [id, s] of entry.sessions) if (s.window.end < oldest) entry.sessions.delete(id);
      if (entry.sessions.size === 0) this.byKey.delete(k);
    }
  }

  close(): void {
    this.byKey.clear();
  }
}

function changelogKey(keyBytes: Buffer, window: Window): Buffer {
  const suffix = Buffer.allocUnsafe(16);
  suffix.writeBigInt64BE(BigInt(window.end), 0);
  suffix.writeBigInt64BE(BigInt(window.start), 8);
  return Buffer.concat([keyBytes, suffix]);
}

export function sessionStoreBuilder<K, V>(name: string, keySerde: Serde<K>, valueSerde: Serde<V>, retentionMs: number, logged = true): StoreBuilder {
  return {
    name,
    kind: 'session',
    logged,
    persistent: false,
    changelogConfigs: { 'cleanup.policy': 'compact,delete', 'retention.ms': String(retentionMs + 86_400_000) },
    build: () => new InMemorySessionStore(name, keySerde, valueSerde, retentionMs),
  };
}
