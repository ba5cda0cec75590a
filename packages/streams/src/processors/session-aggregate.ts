import type { SessionWindows } from '../dsl/windows.ts';
import { type InternalProcessorContext, internalContext } from '../engine/node-context.ts';
import type { ProcessorSupplier } from '../processor.ts';
import type { Change, Window, Windowed } from '../record.ts';
import type { SessionStore } from '../stores/session-store.ts';
import type { Aggregator } from './aggregate.ts';
import type { EmitStrategy, LateRecordHandler } from './window-aggregate.ts';

export interface SessionAggregateOptions<K, V, A> {
  storeName: string;
  windows: SessionWindows;
  initializer: () => A;
  aggregator: Aggregator<K, V, A>;
  /** Combines two sessions' aggregates when a record bridges them. */
  merger: (key: K, a: A, b: A) => A;
  emit: EmitStrategy;
  onLate: LateRecordHandler<K, V> | null;
}

/**
 * Session windows: a record joins (and bridges) the key's sessions within the gap of it. Each
 * session it replaces is emitted as a tombstone (at that session's end), then the merged session
 * (at its end). A session closes when its end falls behind stream time minus grace and gap.
 */
export function sessionAggregateProcessor<K, V, A>(o: SessionAggregateOptions<K, V, A>): ProcessorSupplier<K, V, Windowed<K>, Change<A>> {
  const { gapMs, graceMs } = o.windows;
  return () => {
    let context!: InternalProcessorContext<Windowed<K>, Change<A>>;
    let store!: SessionStore<K, A>;
    /** Sessions ending before this were emitted on close. */
    let emitFrom = Number.MIN_SAFE_INTEGER;
    const closeTime = () => context.streamTime - graceMs - gapMs;

    /** No session ends before this (a lower bound): until the close time passes it, nothing can close. */
    let earliestEnd = Number.MIN_SAFE_INTEGER;

    const emitClosed = () => {
      const close = closeTime();
      if (close <= emitFrom || close <= earliestEnd) return;
      earliestEnd = Number.MAX_SAFE_INTEGER;
      for (const [key, value] of store.sessionsEndingBetween(emitFrom, Number.MAX_SAFE_INTEGER)) {
        if (key.window.end >= close) {
          earliestEnd = key.window.end;
          break;
        }
        context.forward({ key, value: { newValue: value, oldValue: null }, timestamp: key.window.end, headers: [] });
      }
      emitFrom = close;
    };

    return {
      init(c) {
        context = internalContext(c);
        store = c.getStateStore(o.storeName);
        if (context.streamTime >= 0) emitFrom = closeTime();
      },
      process(record) {
        if (record.key === null || record.key === undefined) return context.recordDropped('null-key', `${o.storeName} skips records without a key`);
        if (record.value === null || record.value === undefined) return context.recordDropped('null-value', `${o.storeName} skips records without a value`);
        const t = record.timestamp;
        const overlapping = store.findSessions(record.key, t - gapMs, t + gapMs);
        const merged: Window = { start: t, end: t };
        let aggregate = o.initializer();
        for (const [window, value] of overlapping) {
          aggregate = o.merger(record.key, aggregate, value);
          merged.start = Math.min(merged.start, window.start);
          merged.end = Math.max(merged.end, window.end);
        }
        if (merged.end < closeTime()) {
          context.recordDropped('late', `${o.storeName}: a record at ${t} is too late for session [${merged.start},${merged.end}]`);
          o.onLate?.(record, { windowStart: merged.start, windowEnd: merged.end, streamTime: context.streamTime });
          return;
        }
        aggregate = o.aggregator(record.key, record.value, aggregate);
        for (const [window, value] of overlapping) {
          if (window.start === merged.start && window.end === merged.end) continue;
          store.remove(record.key, window);
          if (o.emit === 'onUpdate') context.forward({ key: { key: record.key, window }, value: { newValue: null, oldValue: value }, timestamp: window.end, headers: record.headers });
        }
        const previous = overlapping.find(([w]) => w.start === merged.start && w.end === merged.end)?.[1] ?? null;
        store.put(record.key, merged, aggregate);
        earliestEnd = Math.min(earliestEnd, merged.end);
        if (o.emit === 'onUpdate') context.forward({ key: { key: record.key, window: { ...merged } }, value: { newValue: aggregate, oldValue: previous }, timestamp: merged.end, headers: record.headers });
        else emitClosed();
      },
    };
  };
}
