import { createHash } from 'node:crypto';
import type { TableGetter } from '../dsl/table-getter.ts';
import type { ProcessorContext, ProcessorSupplier } from '../processor.ts';
import type { Change } from '../record.ts';
import type { Serde } from '../serdes.ts';
import type { KeyValueStore } from '../stores/key-value-store.ts';

/**
 * A foreign-key join (Kafka Streams' KIP-213) in four steps: the left table subscribes each row to
 * the right row its foreign key names (through a topic partitioned like the right table); the right
 * side keeps the subscriptions and answers each, and again whenever the right row changes (through
 * a topic partitioned like the left table); the left side joins an answer only if the row that
 * asked is still the current one (same hash), so stale answers are dropped.
 */
export const Instruction = {
  /** The row was deleted: unsubscribe, and answer so the result is deleted too. */
  DELETE_AND_PROPAGATE: 0,
  /** The row moved to another foreign key: unsubscribe here, no answer. */
  DELETE_NO_PROPAGATE: 1,
  /** Answer even without a right row (a left join, or an update that may end a result). */
  PROPAGATE_NULL_IF_NO_VALUE: 2,
  /** A new row of an inner join: answer only if the right row exists. */
  PROPAGATE_ONLY_IF_VALUE: 3,
} as const;

export interface Subscription<K> {
  instruction: number;
  /** Hash of the left row's value; null for a deletion. */
  hash: Buffer | null;
  leftKey: K;
}

export interface SubscriptionResponse<VO> {
  hash: Buffer | null;
  value: VO | null;
}

export function valueHash<V>(serde: Serde<V>, value: V | null): Buffer | null {
  return value === null ? null : createHash('md5').update(serde.serialize(value)).digest();
}

function putOptional(parts: Buffer[], data: Buffer | null): void {
  if (data === null) {
    parts.push(Buffer.from([0]));
    return;
  }
  const length = Buffer.allocUnsafe(5);
  length.writeUInt8(1, 0);
  length.writeUInt32BE(data.length, 1);
  parts.push(length, data);
}

function readOptional(data: Buffer, at: number): [Buffer | null, number] {
  if (data[at] === 0) return [null, at + 1];
  const length = data.readUInt32BE(at + 1);
  return [data.subarray(at + 5, at + 5 + length), at + 5 + length];
}

export function subscriptionSerde<K>(keySerde: Serde<K>): Serde<Subscription<K>> {
  return {
    serialize(s) {
      const parts: Buffer[] = [Buffer.from([s.instruction])];
      putOptional(parts, s.hash);
      parts.push(keySerde.serialize(s.leftKey));
      return Buffer.concat(parts);
    },
    deserialize(data) {
      const [hash, at] = readOptional(data, 1);
      return { instruction: data[0], hash, leftKey: keySerde.deserialize(data.subarray(at)) };
    },
  };
}

export function responseSerde<VO>(valueSerde: Serde<VO>): Serde<SubscriptionResponse<VO>> {
  return {
    serialize(r) {
      const parts: Buffer[] = [];
      putOptional(parts, r.hash);
      putOptional(parts, r.value === null ? null : valueSerde.serialize(r.value));
      return Buffer.concat(parts);
    },
    deserialize(data) {
      const [hash, at] = readOptional(data, 0);
      const [value] = readOptional(data, at);
      return { hash, value: value === null ? null : valueSerde.deserialize(value) };
    },
  };
}

/** The subscription store's key: the foreign key (length-prefixed, so one foreign key's subscribers are one prefix) and the left key. */
export interface SubscriptionKey<KO, K> {
  foreignKey: KO;
  leftKey: K;
}

export function subscriptionKeySerde<KO, K>(foreignKeySerde: Serde<KO>, keySerde: Serde<K>): Serde<SubscriptionKey<KO, K>> & { prefix(foreignKey: KO): Buffer } {
  const prefix = (foreignKey: KO) => {
    const fk = foreignKeySerde.serialize(foreignKey);
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(fk.length);
    return Buffer.concat([length, fk]);
  };
  return {
    prefix,
    serialize: (k) => Buffer.concat([prefix(k.foreignKey), keySerde.serialize(k.leftKey)]),
    deserialize(data) {
      const length = data.readUInt32BE(0);
      return { foreignKey: foreignKeySerde.deserialize(data.subarray(4, 4 + length)), leftKey: keySerde.deserialize(data.subarray(4 + length)) };
    },
  };
}

/** Left side: each change of a left row becomes subscriptions keyed by foreign key. */
export function subscribeProcessor<K, V, KO>(foreignKey: (value: V) => KO | null, foreignKeySerde: Serde<KO>, valueSerde: Serde<V>, leftJoin: boolean): ProcessorSupplier<K, Change<V>, KO, Subscription<K>> {
  return () => {
    let context!: ProcessorContext<KO, Subscription<K>>;
    const send = (fk: KO, instruction: number, hash: Buffer | null, leftKey: K, timestamp: number) =>
      context.forward({ key: fk, value: { instruction, hash, leftKey }, timestamp, headers: [] });
    return {
      init(c) {
        context = c;
      },
      process({ key, value: change, timestamp }) {
        const newFk = change.newValue === null ? null : foreignKey(change.newValue);
        const oldFk = change.oldValue === null ? null : foreignKey(change.oldValue);
        const hash = valueHash(valueSerde, change.newValue);
        if (change.newValue === null) {
          if (oldFk !== null) send(oldFk, Instruction.DELETE_AND_PROPAGATE, null, key, timestamp);
          return;
        }
        if (oldFk !== null && (newFk === null || !foreignKeySerde.serialize(oldFk).equals(foreignKeySerde.serialize(newFk)))) send(oldFk, Instruction.DELETE_NO_PROPAGATE, hash, key, timestamp);
        if (newFk === null) return;
        const instruction = change.oldValue !== null || leftJoin ? Instruction.PROPAGATE_NULL_IF_NO_VALUE : Instruction.PROPAGATE_ONLY_IF_VALUE;
        send(newFk, instruction, hash, key, timestamp);
      },
    };
  };
}

/** Right side: keeps each subscription and answers it with the right row as it is now. */
export function subscriptionReceiveProcessor<KO, K, VO>(storeName: string, right: TableGetter<KO, VO>): ProcessorSupplier<KO, Subscription<K>, K, SubscriptionResponse<VO>> {
  return () => {
    let context!: ProcessorContext<K, SubscriptionResponse<VO>>;
    let store!: KeyValueStore<SubscriptionKey<KO, K>, Buffer | null>;
    let lookup!: (key: KO) => { value: VO; timestamp: number } | undefined;
    return {
      init(c) {
        context = c;
        store = c.getStateStore(storeName);
        lookup = right.lookup(c as never);
      },
      process({ key: foreignKey, value: s, timestamp }) {
        const id = { foreignKey, leftKey: s.leftKey };
        if (s.instruction === Instruction.DELETE_AND_PROPAGATE || s.instruction === Instruction.DELETE_NO_PROPAGATE) store.put(id, null, timestamp);
        else store.put(id, s.hash ?? Buffer.alloc(0), timestamp);
        if (s.instruction === Instruction.DELETE_NO_PROPAGATE) return;
        const row = lookup(foreignKey);
        if (row === undefined && s.instruction === Instruction.PROPAGATE_ONLY_IF_VALUE) return;
        const value = s.instruction === Instruction.DELETE_AND_PROPAGATE ? null : row?.value ?? null;
        context.forward({ key: s.leftKey, value: { hash: s.hash, value }, timestamp: Math.max(timestamp, row?.timestamp ?? 0), headers: [] });
      },
    };
  };
}

/** Right side: a change of a right row answers every left row subscribed to it. */
export function foreignChangeProcessor<KO, K, VO>(storeName: string, prefix: (foreignKey: KO) => Buffer): ProcessorSupplier<KO, Change<VO>, K, SubscriptionResponse<VO>> {
  return () => {
    let context!: ProcessorContext<K, SubscriptionResponse<VO>>;
    let store!: KeyValueStore<SubscriptionKey<KO, K>, Buffer>;
    return {
      init(c) {
        context = c;
        store = c.getStateStore(storeName);
      },
      process({ key: foreignKey, value: change, timestamp }) {
        if (foreignKey === null || foreignKey === undefined) return;
        for (const [id, hash] of store.prefixScan(prefix(foreignKey))) {
          context.forward({ key: id.leftKey, value: { hash: hash.length === 0 ? null : hash, value: change.newValue }, timestamp, headers: [] });
        }
      },
    };
  };
}

/** Left side: joins an answer with the left row, if that row is still the one that asked. */
export function resolveResponseProcessor<K, V, VO, R>(left: TableGetter<K, V>, valueSerde: Serde<V>, joiner: (value: V, other: VO | null) => R, leftJoin: boolean): ProcessorSupplier<K, SubscriptionResponse<VO>, K, Change<R>> {
  return () => {
    let context!: ProcessorContext<K, Change<R>>;
    let lookup!: (key: K) => { value: V; timestamp: number } | undefined;
    return {
      init(c) {
        context = c;
        lookup = left.lookup(c as never);
      },
      process({ key, value: response, timestamp, headers }) {
        const row = lookup(key);
        const current = valueHash(valueSerde, row?.value ?? null);
        const same = current === null || response.hash === null ? current === response.hash : current.equals(response.hash);
        if (!same) return;
        const result = row === undefined || (response.value === null && !leftJoin) ? null : joiner(row.value, response.value);
        context.forward({ key, value: { newValue: result, oldValue: null }, timestamp: Math.max(timestamp, row?.timestamp ?? 0), headers });
      },
    };
  };
}
