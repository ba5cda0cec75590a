import type { ProcessorContext, ProcessorSupplier } from '../processor.ts';
import type { Change } from '../record.ts';
import type { Serde } from '../serdes.ts';
import { byteKey } from '../stores/state-store.ts';
import type { KeyValueStore } from '../stores/key-value-store.ts';
import { changeSerde } from './table-aggregate.ts';

/** A key's buffered change: the value before the first buffered update, the latest value, and when it is due. */
export interface Buffered<V> {
  change: Change<V>;
  timestamp: number;
  due: number;
}

export function bufferedSerde<V>(valueSerde: Serde<V>): Serde<Buffered<V>> {
  const changes = changeSerde(valueSerde);
  return {
    serialize(b) {
      const head = Buffer.allocUnsafe(16);
      head.writeBigInt64BE(BigInt(b.timestamp), 0);
      head.writeBigInt64BE(BigInt(b.due), 8);
      return Buffer.concat([head, changes.serialize(b.change)]);
    },
    deserialize: (data) => ({ timestamp: Number(data.readBigInt64BE(0)), due: Number(data.readBigInt64BE(8)), change: changes.deserialize(data.subarray(16)) }),
  };
}

export interface SuppressOptions<K> {
  storeName: string;
  keySerde: Serde<K>;
  /** When a key's buffered change is due, from the record that first buffered it. */
  dueTime: (key: K, timestamp: number) => number;
  /** Keys held at most; past it the earliest due goes out early. */
  maxRecords: number;
}

/**
 * Holds back a table's updates: each key's latest change waits in a store (with a changelog) until
 * stream time reaches its due time, then goes out once, carrying the value it replaced before the
 * first held update. Stream time moves only with records, as for windows.
 */
export function suppressProcessor<K, V>(o: SuppressOptions<K>): ProcessorSupplier<K, Change<V>, K, Change<V>> {
  return () => {
    let context!: ProcessorContext<K, Change<V>>;
    let store!: KeyValueStore<K, Buffered<V>>;
    /** Due times by key, built from the store at the first record (the store is restored after init). */
    let index: Map<string, { key: K; due: number }> | null = null;
    /** No held key is due before this. */
    let nextDue = Number.MAX_SAFE_INTEGER;

    const emitDue = (now: number, keep: number) => {
      const due = [...index!.values()].sort((a, b) => a.due - b.due);
      nextDue = Number.MAX_SAFE_INTEGER;
      for (const [i, entry] of due.entries()) {
        if (entry.due > now && due.length - i <= keep) {
          nextDue = entry.due;
          break;
        }
        const buffered = store.get(entry.key)!;
        index!.delete(byteKey(o.keySerde.serialize(entry.key)));
        store.delete(entry.key);
        context.forward({ key: entry.key, value: buffered.change, timestamp: buffered.timestamp, headers: [] });
      }
    };

    return {
      init(c) {
        context = c;
        store = c.getStateStore(o.storeName);
      },
      process(record) {
        if (index === null) {
          index = new Map(store.all().map(([key, b]) => [byteKey(o.keySerde.serialize(key)), { key, due: b.due }]));
          for (const e of index.values()) nextDue = Math.min(nextDue, e.due);
        }
        const id = byteKey(o.keySerde.serialize(record.key));
        const held = store.get(record.key);
        const due = held?.due ?? o.dueTime(record.key, record.timestamp);
        const change = { newValue: record.value.newValue, oldValue: held ? held.change.oldValue : record.value.oldValue };
        store.put(record.key, { change, timestamp: Math.max(record.timestamp, held?.timestamp ?? 0), due }, record.timestamp);
        index.set(id, { key: record.key, due });
        nextDue = Math.min(nextDue, due);
        if (index.size > o.maxRecords || nextDue <= context.streamTime) emitDue(context.streamTime, o.maxRecords);
      },
    };
  };
}
