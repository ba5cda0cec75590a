import type { StoreType } from '../stores/key-value-store.ts';
import type { Topology } from '../topology/topology.ts';

/** One input record of a workload: keys and values are text (JSON for structured values). */
export interface WorkloadInput {
  topic: string;
  key: string | null;
  value: string | null;
  /** Event time in ms. */
  timestamp: number;
}

/** After one input: what each output topic gets, as text (`key=value @ts`); `unordered` when the order within the row is not defined. */
export interface WorkloadRow {
  input: WorkloadInput;
  output: Record<string, string[]>;
  unordered?: boolean;
}

/**
 * An acceptance workload: a topology, its inputs and the outputs worked out by hand from Kafka
 * Streams' semantics. The same workload runs on the test driver (row by row) and against a broker
 * (each output topic read back whole).
 */
export interface Workload {
  name: string;
  /** `defaultStore`: the type of its key-value stores (both must give the same outputs). */
  topology(defaultStore?: StoreType): Topology;
  inputTopics: string[];
  outputTopics: string[];
  /** Renders an output record as the rows write it. */
  format(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number): string;
  rows: WorkloadRow[];
}

export function text(data: Buffer | null): string {
  return data === null ? '⊥' : data.toString('utf8');
}

/** A time-windowed key (Kafka Streams' layout: key bytes, then 8 bytes of start) as `key@[start,end)` in seconds. */
export function windowedText(data: Buffer | null, sizeMs: number): string {
  if (data === null) return 'null';
  const start = Number(data.readBigInt64BE(data.length - 8));
  return `${data.subarray(0, data.length - 8).toString('utf8')}@[${start / 1000},${(start + sizeMs) / 1000})`;
}

/** A session key (key bytes, end, start) as `key@[start,end]` in seconds. */
export function sessionText(data: Buffer | null): string {
  if (data === null) return 'null';
  const end = Number(data.readBigInt64BE(data.length - 16));
  const start = Number(data.readBigInt64BE(data.length - 8));
  return `${data.subarray(0, data.length - 16).toString('utf8')}@[${start / 1000},${end / 1000}]`;
}

export function int64Text(data: Buffer | null): string {
  return data === null ? '⊥' : String(data.readBigInt64BE(0));
}

/** Seconds to ms: the research tables are in seconds. */
export const s = (seconds: number) => seconds * 1000;
