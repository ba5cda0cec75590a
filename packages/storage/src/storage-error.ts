/**
 * A failure of the log that the broker reports to clients as KAFKA_STORAGE_ERROR. Once a log has
 * seen one (a failed fsync above all), it refuses every later append and flush: bytes whose
 * durability is unknown are never acknowledged.
 */
export class StorageError extends Error {
  readonly code = 'KAFKA_STORAGE_ERROR';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** A read below the log start offset or past the high watermark (clients get OFFSET_OUT_OF_RANGE). */
export class OffsetOutOfRangeError extends Error {
  readonly code = 'OFFSET_OUT_OF_RANGE';
  constructor(offset: number, start: number, end: number) {
    super(`offset ${offset} is outside the log's range [${start}, ${end}]`);
    this.name = 'OffsetOutOfRangeError';
  }
}

/**
 * Damage that recovery must not cut away: a bad batch in data that was durable (before the recovery
 * point, or anywhere after a clean shutdown), or with valid batches after it. The partition stays
 * offline until an operator decides; the message says where and what cutting there would lose.
 */
export class CorruptLogError extends StorageError {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptLogError';
  }
}
