import type { SlidingWindows } from '../dsl/windows.ts';
import { type InternalProcessorContext, internalContext } from '../engine/node-context.ts';
import type { ProcessorSupplier } from '../processor.ts';
import type { Change, TimestampedValue, Windowed } from '../record.ts';
import type { WindowStore } from '../stores/window-store.ts';
import type { Aggregator } from './aggregate.ts';
import type { EmitStrategy, LateRecordHandler } from './window-aggregate.ts';

export interface SlidingAggregateOptions<K, V, A> {
  storeName: string;
  /** The key's recent records by timestamp: windows are recomputed from them. */
  recordsStoreName: string;
  windows: SlidingWindows;
  initializer: () => A;
  aggregator: Aggregator<K, V, A>;
  emit: EmitStrategy;
  onLate: LateRecordHandler<K, V> | null;
}

/**
 * Sliding windows (Kafka Streams' KIP-450): windows of `diff` milliseconds, both ends inclusive,
 * placed by the records themselves. Each record has a window ending at it (`[t - diff, t]`), and a
 * window starting just after it (`[t + 1, t + 1 + diff]`) once a later record falls in that one;
 * so a window exists for each distinct set of records within `diff` of each other. A record
 * updates every open window it falls in (a window closes once stream time passes its end plus
 * grace); each such window's aggregate is computed again from the key's records in it.
 */
export function slidingAggregateProcessor<K, V, A>(o: SlidingAggregateOptions<K, V, A>): ProcessorSupplier<K, V, Windowed<K>, Change<A>> {
  const { timeDifferenceMs: diff, graceMs } = o.windows;
  return () => {
    let context!: InternalProcessorContext<Windowed<K>, Change<A>>;
    let store!: WindowStore<K, TimestampedValue<A>>;
    let records!: WindowStore<K, V>;
    let emitFrom = 0;
    const open = (start: number) => start + diff + graceMs >= context.streamTime;

    const emitClosed = () => {
      const lastClosedStart = context.streamTime - graceMs - diff - 1;
      if (lastClosedStart < emitFrom) return;
      for (const { key, start, value } of store.fetchAll(emitFrom, lastClosedStart)) {
        context.forward({ key: { key, window: { start, end: start + diff } }, value: { newValue: value.value, oldValue: null }, timestamp: value.timestamp, headers: [] });
      }
      emitFrom = lastClosedStart + 1;
    };

    return {
      init(c) {
        context = internalContext(c);
        store = c.getStateStore(o.storeName);
        records = c.getStateStore(o.recordsStoreName);
        if (context.streamTime >= 0) emitFrom = Math.max(0, context.streamTime - graceMs - diff);
      },
      process(record) {
        if (record.key === null || record.key === undefined) return context.recordDropped('null-key', `${o.storeName} skips records without a key`);
        if (record.value === null || record.value === undefined) return context.recordDropped('null-value', `${o.storeName} skips records without a value`);
        if (o.emit === 'onClose') emitClosed();
        const t = record.timestamp;
        const leftStart = Math.max(0, t - diff);
        // The latest window that can hold t starts at t: a right window of a record just before it.
        if (!open(leftStart) && !open(t)) {
          context.recordDropped('late', `${o.storeName}: a record at ${t} is too late for its sliding windows`);
          o.onLate?.(record, { windowStart: leftStart, windowEnd: leftStart + diff, streamTime: context.streamTime });
          return;
        }
        records.put(record.key, record.value, t);
        const nearby = records.fetchRange(record.key, Math.max(0, t - 2 * diff - 1), t + diff + 1);
        const starts = new Set<number>([leftStart]);
        for (const [r] of nearby) {
          // Left windows of records after t that reach back to it; right windows of records before t that reach it.
          if (r > t && Math.max(0, r - diff) <= t) starts.add(Math.max(0, r - diff));
          if (r < t && t <= r + 1 + diff) starts.add(r + 1);
        }
        // t's own right window, once a later record falls in it.
        if (nearby.some(([r]) => r > t && r <= t + 1 + diff)) starts.add(t + 1);
        for (const start of [...starts].sort((a, b) => a - b)) {
          if (!open(start)) continue;
          const inside = nearby.filter(([r]) => r >= start && r <= start + diff);
          if (inside.length === 0) continue;
          let value = o.initializer();
          let timestamp = -1;
          for (const [r, v] of inside) {
            value = o.aggregator(record.key, v, value);
            timestamp = Math.max(timestamp, r);
          }
          const old = store.fetch(record.key, start);
          store.put(record.key, { value, timestamp }, start);
          if (o.emit === 'onUpdate') context.forward({ key: { key: record.key, window: { start, end: start + diff } }, value: { newValue: value, oldValue: old?.value ?? null }, timestamp, headers: record.headers });
        }
      },
    };
  };
}
