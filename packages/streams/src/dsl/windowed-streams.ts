import type { Aggregator } from '../processors/aggregate.ts';
import { sessionAggregateProcessor } from '../processors/session-aggregate.ts';
import { slidingAggregateProcessor } from '../processors/sliding-aggregate.ts';
import { type EmitStrategy, type LateRecordHandler, windowAggregateProcessor } from '../processors/window-aggregate.ts';
import type { ProcessorSupplier } from '../processor.ts';
import type { TimestampedValue, Windowed } from '../record.ts';
import type { SessionStore } from '../stores/session-store.ts';
import type { WindowStore } from '../stores/window-store.ts';
import { type Serde, Serdes } from '../serdes.ts';
import { sessionStoreBuilder } from '../stores/session-store.ts';
import { timestampedSerde } from '../stores/timestamped.ts';
import { windowStoreBuilder } from '../stores/window-store.ts';
import { type KGroupedStream, type Materialized, NOTHING_YET } from './grouped-stream.ts';
import { KTable } from './ktable.ts';
import { checkName, requireSerde } from './serde-options.ts';
import type { TableGetter } from './table-getter.ts';
import { type SessionWindows, SlidingWindows, type TimeWindows } from './windows.ts';

type AnySupplier = ProcessorSupplier<never, never, unknown, unknown>;

/** Window and session stores are in memory (restored from their changelogs on start): no `store` type to choose. */
export interface WindowMaterialized<K, A> extends Omit<Materialized<K, A>, 'store'> {
  /** How long windows stay queryable in the store; default (and minimum) the window size plus grace. */
  retentionMs?: number;
}

/** When a windowed aggregation writes its windows, and who hears of records too late for them. */
class WindowedOutput<K, V> {
  protected emitStrategy: EmitStrategy = 'onUpdate';
  protected lateHandler: LateRecordHandler<K, V> | null = null;

  /** 'onUpdate' (default): every change of a window; 'onClose': each window once, when stream time passes its end plus grace. */
  emit(strategy: EmitStrategy): this {
    this.emitStrategy = strategy;
    return this;
  }

  /** Called for each record dropped as too late for a window (besides counting it). */
  onLate(handler: LateRecordHandler<K, V>): this {
    this.lateHandler = handler;
    return this;
  }
}

/** A grouped stream in time windows (tumbling, hopping or sliding), to aggregate per key and window. */
export class TimeWindowedKStream<K, V> extends WindowedOutput<K, V> {
  private readonly grouped: KGroupedStream<K, V>;
  private readonly windows: TimeWindows | SlidingWindows;

  constructor(grouped: KGroupedStream<K, V>, windows: TimeWindows | SlidingWindows) {
    super();
    this.grouped = grouped;
    this.windows = windows;
  }

  count(options: WindowMaterialized<K, number>): KTable<Windowed<K>, number> {
    return this.aggregate(() => 0, (_k, _v, count) => count + 1, { ...options, value: options.value ?? Serdes.int64() });
  }

  reduce(reducer: (aggregate: V, value: V) => V, options: WindowMaterialized<K, V>): KTable<Windowed<K>, V> {
    const aggregator = (_k: K, value: V, aggregate: V) => (aggregate === (NOTHING_YET as unknown) ? value : reducer(aggregate, value));
    return this.aggregate(() => NOTHING_YET as unknown as V, aggregator, { ...options, value: options.value ?? this.grouped.serdes.value });
  }

  aggregate<A>(initializer: () => A, aggregator: Aggregator<K, V, A>, options: WindowMaterialized<K, A>): KTable<Windowed<K>, A> {
    const { builder } = this.grouped;
    const name = checkName(options.name, 'a windowed aggregation');
    const key = requireSerde(options.key, this.grouped.serdes.key, `${name}'s key`);
    const value = requireSerde(options.value, undefined, `${name}'s aggregate value`);
    const input = this.grouped.input(name);
    const windows = this.windows;
    const sliding = windows instanceof SlidingWindows;
    // A sliding window's end is its start plus the difference (inclusive): the same serde layout.
    const sizeMs = sliding ? windows.timeDifferenceMs : windows.sizeMs;
    const retention = Math.max(options.retentionMs ?? 0, sizeMs + windows.graceMs + (sliding ? 1 : 0));
    builder.addStore(windowStoreBuilder(name, key, timestampedSerde(value), retention));
    if (sliding) {
      // The key's recent records, from which each sliding window's aggregate is computed.
      const records = `${name}-records`;
      const valueSerde = requireSerde(undefined, this.grouped.serdes.value, `${name}'s records (value)`);
      builder.addStore(windowStoreBuilder(records, key, valueSerde, 2 * sizeMs + 1 + windows.graceMs, true));
      const supplier = slidingAggregateProcessor({ storeName: name, recordsStoreName: records, windows: windows, initializer, aggregator, emit: this.emitStrategy, onLate: this.lateHandler });
      builder.addProcessor(name, supplier as AnySupplier, [input], [name, records]);
    } else {
      const supplier = windowAggregateProcessor({ storeName: name, windows: windows, initializer, aggregator, emit: this.emitStrategy, onLate: this.lateHandler });
      builder.addProcessor(name, supplier as AnySupplier, [input], [name]);
    }
    const getter: TableGetter<Windowed<K>, A> = {
      stores: [name],
      lookup: (context) => {
        const store = context.getStateStore<WindowStore<K, TimestampedValue<A>>>(name);
        return (windowed) => store.fetch(windowed.key, windowed.window.start);
      },
    };
    const table = new KTable(builder, name, { key: Serdes.timeWindowed(key, sizeMs), value }, getter, name);
    // A time window [start, end) closes at end + grace; a sliding one [start, end] once stream time is past end + grace.
    table.windowCloseTime = (windowed) => windowed.window.end + windows.graceMs + (sliding ? 1 : 0);
    return table;
  }
}

/** A grouped stream in session windows, to aggregate per key and session. */
export class SessionWindowedKStream<K, V> extends WindowedOutput<K, V> {
  private readonly grouped: KGroupedStream<K, V>;
  private readonly windows: SessionWindows;

  constructor(grouped: KGroupedStream<K, V>, windows: SessionWindows) {
    super();
    this.grouped = grouped;
    this.windows = windows;
  }

  count(options: WindowMaterialized<K, number>): KTable<Windowed<K>, number> {
    return this.aggregate(() => 0, (_k, _v, count) => count + 1, (_k, a, b) => a + b, { ...options, value: options.value ?? Serdes.int64() });
  }

  reduce(reducer: (aggregate: V, value: V) => V, options: WindowMaterialized<K, V>): KTable<Windowed<K>, V> {
    const nothing = NOTHING_YET as unknown as V;
    const combine = (a: V, b: V) => (a === nothing ? b : b === nothing ? a : reducer(a, b));
    return this.aggregate(() => nothing, (_k, value, aggregate) => combine(aggregate, value), (_k, a, b) => combine(a, b), { ...options, value: options.value ?? this.grouped.serdes.value });
  }

  /** `merger` combines two sessions' aggregates when a record bridges them. */
  aggregate<A>(initializer: () => A, aggregator: Aggregator<K, V, A>, merger: (key: K, a: A, b: A) => A, options: WindowMaterialized<K, A>): KTable<Windowed<K>, A> {
    const { builder } = this.grouped;
    const name = checkName(options.name, 'a session aggregation');
    const key = requireSerde(options.key, this.grouped.serdes.key, `${name}'s key`);
    const value = requireSerde(options.value, undefined, `${name}'s aggregate value`);
    const input = this.grouped.input(name);
    const retention = Math.max(options.retentionMs ?? 0, this.windows.gapMs + this.windows.graceMs);
    builder.addStore(sessionStoreBuilder(name, key, value, retention));
    const supplier = sessionAggregateProcessor({ storeName: name, windows: this.windows, initializer, aggregator, merger, emit: this.emitStrategy, onLate: this.lateHandler });
    builder.addProcessor(name, supplier as AnySupplier, [input], [name]);
    const getter: TableGetter<Windowed<K>, A> = {
      stores: [name],
      lookup: (context) => {
        const store = context.getStateStore<SessionStore<K, A>>(name);
        return (windowed) => {
          const found = store.findSessions(windowed.key, windowed.window.end, windowed.window.start).find(([w]) => w.start === windowed.window.start && w.end === windowed.window.end);
          return found && { value: found[1], timestamp: windowed.window.end };
        };
      },
    };
    const table = new KTable(builder, name, { key: Serdes.sessionWindowed(key) as Serde<Windowed<K>>, value }, getter, name);
    // Closed once stream time is past end + gap + grace (the session processor's rule).
    table.windowCloseTime = (windowed) => windowed.window.end + this.windows.gapMs + this.windows.graceMs + 1;
    return table;
  }
}
