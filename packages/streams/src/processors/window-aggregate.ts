import type { TimeWindows } from '../dsl/windows.ts';
import { type InternalProcessorContext, internalContext } from '../engine/node-context.ts';
import type { ProcessorSupplier } from '../processor.ts';
import type { Change, StreamRecord, TimestampedValue, Windowed } from '../record.ts';
import type { WindowStore } from '../stores/window-store.ts';
import type { Aggregator } from './aggregate.ts';

export type EmitStrategy = 'onUpdate' | 'onClose';

/** Called for a record too late for a window: it has closed (its end is at or before stream time minus grace). */
export type LateRecordHandler<K, V> = (record: StreamRecord<K, V>, info: { windowStart: number; windowEnd: number; streamTime: number }) => void;

export interface WindowAggregateOptions<K, V, A> {
  storeName: string;
  windows: TimeWindows;
  initializer: () => A;
  aggregator: Aggregator<K, V, A>;
  emit: EmitStrategy;
  onLate: LateRecordHandler<K, V> | null;
}

/**
 * Aggregates each record into every time window holding it that is still open. Emits each update
 * ('onUpdate'), or each window once when it closes ('onClose', with the aggregate's timestamp).
 */
export function windowAggregateProcessor<K, V, A>(o: WindowAggregateOptions<K, V, A>): ProcessorSupplier<K, V, Windowed<K>, Change<A>> {
  const { sizeMs, graceMs, advanceMs } = o.windows;
  return () => {
    let context!: InternalProcessorContext<Windowed<K>, Change<A>>;
    let store!: WindowStore<K, TimestampedValue<A>>;
    /** The lowest window start not yet emitted on close. */
    let emitFrom = 0;

    const emitClosed = () => {
      const lastClosedStart = context.streamTime - graceMs - sizeMs;
      // Windows start on the advance's grid: nothing to do until the next start on it has closed.
      const nextStart = Math.ceil(emitFrom / advanceMs) * advanceMs;
      if (lastClosedStart < nextStart) return;
      for (const { key, start, value } of store.fetchAll(emitFrom, lastClosedStart)) {
        context.forward({ key: { key, window: { start, end: start + sizeMs } }, value: { newValue: value.value, oldValue: null }, timestamp: value.timestamp, headers: [] });
      }
      emitFrom = lastClosedStart + 1;
    };

    return {
      init(c) {
        context = internalContext(c);
        store = c.getStateStore(o.storeName);
        // Windows that closed before a restart were emitted then.
        if (context.streamTime >= 0) emitFrom = Math.max(0, context.streamTime - graceMs - sizeMs + 1);
      },
      process(record) {
        if (record.key === null || record.key === undefined) return context.recordDropped('null-key', `${o.storeName} skips records without a key`);
        if (record.value === null || record.value === undefined) return context.recordDropped('null-value', `${o.storeName} skips records without a value`);
        // Windows this record's stream time closes go out first: putting a newer window moves the
        // store's retention, which could drop them unemitted after a jump in time.
        if (o.emit === 'onClose') emitClosed();
        const closeTime = context.streamTime - graceMs;
        for (const start of o.windows.windowStarts(record.timestamp)) {
          const end = start + sizeMs;
          if (end <= closeTime) {
            context.recordDropped('late', `${o.storeName}: a record at ${record.timestamp} is too late for window [${start},${end})`);
            o.onLate?.(record, { windowStart: start, windowEnd: end, streamTime: context.streamTime });
            continue;
          }
          const old = store.fetch(record.key, start);
          const value = o.aggregator(record.key, record.value, old === undefined ? o.initializer() : old.value);
          const timestamp = old === undefined ? record.timestamp : Math.max(record.timestamp, old.timestamp);
          store.put(record.key, { value, timestamp }, start);
          if (o.emit === 'onUpdate') context.forward({ key: { key: record.key, window: { start, end } }, value: { newValue: value, oldValue: old?.value ?? null }, timestamp, headers: record.headers });
        }
      },
    };
  };
}
