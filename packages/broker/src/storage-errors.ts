import { ErrorCode } from '@millrace/protocol';
import type { Logger } from './logger.ts';

/**
 * Maps a storage failure to the Kafka error a client gets. A log that failed to fsync is offline:
 * the client gets KAFKA_STORAGE_ERROR, never a success for bytes that may not be on disk.
 */
export function storageErrorCode(err: unknown, log: Logger): number {
  const code = (err as { code?: string }).code;
  log.error(`storage failure: ${(err as Error).message}`);
  if (code === 'KAFKA_STORAGE_ERROR' || code === 'ENOSPC' || code === 'EIO') return ErrorCode.KAFKA_STORAGE_ERROR;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

/**
 * For writes to `__consumer_offsets` and `__transaction_state`: a Kafka error the write carries
 * (NOT_COORDINATOR when leadership moved, or what waiting for the ISR ended with), else the
 * storage mapping above.
 */
export function coordinatorOrStorageErrorCode(err: unknown, log: Logger): number {
  const errorCode = (err as { errorCode?: unknown }).errorCode;
  if (typeof errorCode === 'number') return errorCode;
  return storageErrorCode(err, log);
}
