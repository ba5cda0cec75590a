import type { JoinWindows } from '../dsl/windows.ts';
import { type InternalProcessorContext, internalContext } from '../engine/node-context.ts';
import type { ProcessorSupplier } from '../processor.ts';
import { withValue } from '../record.ts';
import type { Serde } from '../serdes.ts';
import type { KeyValueStore } from '../stores/key-value-store.ts';
import type { WindowStore } from '../stores/window-store.ts';
import type { JoinType } from './table-table-join.ts';

/** A record of a left or outer join still waiting for a match: ordered by timestamp, then left before right, then key. */
export interface WaitingKey<K> {
  timestamp: number;
  left: boolean;
  key: K;
}

export function waitingKeySerde<K>(keySerde: Serde<K>): Serde<WaitingKey<K>> {
  return {
    serialize(k) {
      const head = Buffer.allocUnsafe(9);
      head.writeBigInt64BE(BigInt(k.timestamp), 0);
      head.writeUInt8(k.left ? 0 : 1, 8);
      return Buffer.concat([head, keySerde.serialize(k.key)]);
    },
    deserialize: (data) => ({ timestamp: Number(data.readBigInt64BE(0)), left: data.readUInt8(8) === 0, key: keySerde.deserialize(data.subarray(9)) }),
  };
}

/** The waiting record's value, read with its own side's serde. */
export function waitingValueSerde<V1, V2>(left: Serde<V1>, right: Serde<V2>): Serde<{ left: boolean; value: V1 | V2 }> {
  return {
    serialize: (v) => Buffer.concat([Buffer.from([v.left ? 0 : 1]), v.left ? left.serialize(v.value as V1) : right.serialize(v.value as V2)]),
    deserialize: (data) => (data[0] === 0 ? { left: true, value: left.deserialize(data.subarray(1)) } : { left: false, value: right.deserialize(data.subarray(1)) }),
  };
}

export interface StreamStreamJoinSide<V, VO, R> {
  name: string;
  isLeft: boolean;
  type: JoinType;
  windows: JoinWindows;
  ownStore: string;
  otherStore: string;
  /** The waiting records of a left or outer join; null for an inner join. */
  outerStore: string | null;
  /** Called with (left value, right value) in join order, either possibly null for unmatched records. */
  joiner: (left: V | VO | null, right: V | VO | null) => R;
}

/**
 * One side of a windowed stream-stream join. A record is kept in its side's window store and
 * joined with each record of the other side within the window (result at the later timestamp).
 * Without a match, in a left (left side) or outer join, it waits in the shared store until stream
 * time passes its window and grace, then comes out joined with null, at its own timestamp.
 */
export function streamStreamJoinProcessor<K, V, VO, R>(side: StreamStreamJoinSide<V, VO, R>): ProcessorSupplier<K, V, K, R> {
  const { windows, isLeft } = side;
  // The right side sees the window from the other end.
  const before = isLeft ? windows.beforeMs : windows.afterMs;
  const after = isLeft ? windows.afterMs : windows.beforeMs;
  const emitsUnmatched = side.type === 'outer' || (side.type === 'left' && isLeft);
  const join = (mine: V | null, theirs: VO | null) => (isLeft ? side.joiner(mine, theirs) : side.joiner(theirs, mine));
  return () => {
    let context!: InternalProcessorContext<K, R>;
    let own!: WindowStore<K, V>;
    let other!: WindowStore<K, VO>;
    let waiting: KeyValueStore<WaitingKey<K>, { left: boolean; value: unknown }> | null = null;

    const emitClosedUnmatched = () => {
      for (const [key, entry] of waiting!.entries()) {
        const lookAhead = key.left ? windows.afterMs : windows.beforeMs;
        if (key.timestamp + lookAhead + windows.graceMs >= context.streamTime) break;
        const value = key.left ? side.joiner(entry.value as V, null) : side.joiner(null, entry.value as V);
        context.forward({ key: key.key, value, timestamp: key.timestamp, headers: [] });
        waiting!.delete(key);
      }
    };

    return {
      init(c) {
        context = internalContext(c);
        own = c.getStateStore(side.ownStore);
        other = c.getStateStore(side.otherStore);
        if (side.outerStore !== null) waiting = c.getStateStore(side.outerStore);
      },
      process(record) {
        if (record.value === null || record.value === undefined) return context.recordDropped('null-value', `${side.name} skips records without a value`);
        if (record.key === null || record.key === undefined) {
          if (!emitsUnmatched) return context.recordDropped('null-key', `${side.name} skips records without a key`);
          return context.forward(withValue(record, join(record.value, null)));
        }
        const t = record.timestamp;
        own.put(record.key, record.value, t);
        if (waiting !== null && t === context.streamTime) emitClosedUnmatched();
        const matches = other.fetchRange(record.key, Math.max(0, t - before), Math.max(0, t + after));
        for (const [otherTs, otherValue] of matches) {
          context.forward({ key: record.key, value: join(record.value, otherValue), timestamp: Math.max(t, otherTs), headers: record.headers });
          // The other side's record has its match: it no longer waits to be emitted unmatched.
          waiting?.delete({ timestamp: otherTs, left: !isLeft, key: record.key });
        }
        if (matches.length > 0 || !emitsUnmatched) return;
        if (waiting === null || Math.max(0, t + after) + windows.graceMs < context.streamTime) context.forward(withValue(record, join(record.value, null)));
        else waiting.put({ timestamp: t, left: isLeft, key: record.key }, { left: isLeft, value: record.value }, t);
      },
    };
  };
}
