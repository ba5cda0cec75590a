import type { ProcessorContext, ProcessorSupplier } from '../processor.ts';
import type { Change, TimestampedValue } from '../record.ts';
import { StreamsError } from '../errors.ts';
import type { Serde } from '../serdes.ts';
import type { KeyValueStore } from '../stores/key-value-store.ts';

/**
 * A table row re-keyed for a table `groupBy`: the old row is subtracted from its old group and
 * the new row added to its new one. When both fall in one group, one record carries both.
 */
export function tableRegroupProcessor<K, V, K2, V2>(selector: (key: K, value: V) => [K2, V2], keySerde: Serde<K2>): ProcessorSupplier<K, Change<V>, K2, Change<V2>> {
  return () => {
    let context!: ProcessorContext<K2, Change<V2>>;
    return {
      init(c) {
        context = c;
      },
      process(record) {
        const before = record.value.oldValue === null ? null : selector(record.key, record.value.oldValue);
        const after = record.value.newValue === null ? null : selector(record.key, record.value.newValue);
        const send = (key: K2, change: Change<V2>) => context.forward({ key, value: change, timestamp: record.timestamp, headers: record.headers });
        if (before !== null && after !== null && keySerde.serialize(before[0]).equals(keySerde.serialize(after[0]))) return send(after[0], { newValue: after[1], oldValue: before[1] });
        if (before !== null) send(before[0], { newValue: null, oldValue: before[1] });
        if (after !== null) send(after[0], { newValue: after[1], oldValue: null });
      },
    };
  };
}

/** A table change through a repartition topic: a flag byte (bit 0: new value, bit 1: old value), the new value's length, then the values. */
export function changeSerde<V>(inner: Serde<V>): Serde<Change<V>> {
  return {
    serialize(change) {
      const newBytes = change.newValue === null ? null : inner.serialize(change.newValue);
      const oldBytes = change.oldValue === null ? null : inner.serialize(change.oldValue);
      const head = Buffer.allocUnsafe(5);
      head.writeUInt8((newBytes === null ? 0 : 1) | (oldBytes === null ? 0 : 2), 0);
      head.writeUInt32BE(newBytes?.length ?? 0, 1);
      return Buffer.concat([head, newBytes ?? Buffer.alloc(0), oldBytes ?? Buffer.alloc(0)]);
    },
    deserialize(data) {
      if (data.length < 5) throw new StreamsError('SERDE', `a table change needs 5 bytes of header, it has ${data.length}`);
      const flags = data[0];
      const newLength = data.readUInt32BE(1);
      return {
        newValue: flags & 1 ? inner.deserialize(data.subarray(5, 5 + newLength)) : null,
        oldValue: flags & 2 ? inner.deserialize(data.subarray(5 + newLength)) : null,
      };
    },
  };
}

/** Aggregates a grouped table: each change subtracts the old row and adds the new one. */
export function tableAggregateProcessor<K, V, A>(storeName: string, initializer: () => A, adder: (key: K, value: V, aggregate: A) => A, subtractor: (key: K, value: V, aggregate: A) => A): ProcessorSupplier<K, Change<V>, K, Change<A>> {
  return () => {
    let context!: ProcessorContext<K, Change<A>>;
    let store!: KeyValueStore<K, TimestampedValue<A>>;
    return {
      init(c) {
        context = c;
        store = c.getStateStore(storeName);
      },
      process(record) {
        if (record.key === null || record.key === undefined) return;
        const { newValue, oldValue } = record.value;
        if (newValue === null && oldValue === null) return;
        const old = store.get(record.key);
        let value = old === undefined ? initializer() : old.value;
        if (oldValue !== null) value = subtractor(record.key, oldValue, value);
        if (newValue !== null) value = adder(record.key, newValue, value);
        const timestamp = old === undefined ? record.timestamp : Math.max(record.timestamp, old.timestamp);
        store.put(record.key, { value, timestamp }, timestamp);
        context.forward({ key: record.key, value: { newValue: value, oldValue: old?.value ?? null }, timestamp, headers: record.headers });
      },
    };
  };
}
