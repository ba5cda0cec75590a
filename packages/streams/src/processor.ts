import type { StreamRecord } from './record.ts';
import type { StateStore } from './stores/state-store.ts';

/**
 * A step of a topology: gets records one at a time and forwards what it makes of them. `process`
 * is synchronous by contract: records of a task are processed in order, one after the other.
 */
export interface Processor<KIn, VIn, KOut = KIn, VOut = VIn> {
  init?(context: ProcessorContext<KOut, VOut>): void;
  process(record: StreamRecord<KIn, VIn>): void;
  close?(): void;
}

export type ProcessorSupplier<KIn, VIn, KOut, VOut> = () => Processor<KIn, VIn, KOut, VOut>;

/**
 * When a punctuator runs: 'stream-time' when the task's stream time passes the next interval
 * (once per advance, however many intervals it skipped; never while no records arrive),
 * 'wall-clock' on the system clock.
 */
export type PunctuationType = 'stream-time' | 'wall-clock';

export interface Cancellable {
  cancel(): void;
}

/** Where a record being processed came from. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
}

export interface ProcessorContext<KOut, VOut> {
  /** Passes a record to the processor's children, or to the one named. */
  forward(record: StreamRecord<KOut, VOut>, childName?: string): void;
  schedule(intervalMs: number, type: PunctuationType, punctuator: (timestamp: number) => void): Cancellable;
  getStateStore<S extends StateStore>(name: string): S;
  /** `<subtopology>_<partition>`, as Kafka Streams names tasks. */
  readonly taskId: string;
  readonly partition: number;
  readonly applicationId: string;
  /** The largest timestamp the task has processed (-1 before its first record). */
  readonly streamTime: number;
  readonly wallClockTime: number;
  /** The input record being processed; undefined in a punctuator. */
  recordMetadata(): RecordMetadata | undefined;
  /** Asks for a commit after this record (a request: the runtime commits when it can). */
  requestCommit(): void;
}
