import type { RecordHeader } from '@millrace/protocol';

/** A record as it flows through a topology: a null value is a tombstone in a table. */
export interface StreamRecord<K, V> {
  key: K;
  value: V;
  /** Event time in milliseconds: the input record's timestamp, or what the timestamp extractor read. */
  timestamp: number;
  headers: RecordHeader[];
}

/** A table update as a table's operators pass it on: the new value and the one it replaced (null when none). */
export interface Change<V> {
  newValue: V | null;
  oldValue: V | null;
}

/** A window: `[start, end)` for time windows, `[start, end]` (both inclusive) for session windows. */
export interface Window {
  start: number;
  end: number;
}

/** The key of a windowed aggregation's result: the grouped key and its window. */
export interface Windowed<K> {
  key: K;
  window: Window;
}

/** A value with the timestamp of the record that last set it, as tables keep them. */
export interface TimestampedValue<V> {
  value: V;
  timestamp: number;
}

export function withValue<K, V, V2>(record: StreamRecord<K, V>, value: V2): StreamRecord<K, V2> {
  return { key: record.key, value, timestamp: record.timestamp, headers: record.headers };
}

export function withKeyValue<K, V, K2, V2>(record: StreamRecord<K, V>, key: K2, value: V2): StreamRecord<K2, V2> {
  return { key, value, timestamp: record.timestamp, headers: record.headers };
}
