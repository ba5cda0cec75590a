/**
 * An error of a topology or its runtime, with a stable `code`: INVALID_TOPOLOGY (caught when the
 * topology is built), CO_PARTITIONING (inputs that must share partition counts do not),
 * INVALID_DURATION, SERDE (a record could not be read or written), NOT_RUNNING, TASK_MIGRATED.
 */
export class StreamsError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StreamsError';
    this.code = code;
  }
}
