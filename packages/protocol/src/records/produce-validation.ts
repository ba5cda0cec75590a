import { ErrorCode } from '../error-codes.ts';
import { Attribute, BATCH_HEADER_SIZE, BatchField, CURRENT_MAGIC, LOG_OVERHEAD } from './batch-layout.ts';
import { batchCrcMatches, readBatchHeader, type BatchHeader } from './batch-header.ts';

export interface ProduceLimits {
  /** The topic's max.message.bytes: the largest batch accepted, log overhead included (as Kafka counts). */
  maxMessageBytes: number;
}

export type ProduceValidation =
  | { ok: true; header: BatchHeader }
  | { ok: false; errorCode: number; message: string };

function refuse(errorCode: number, message: string): ProduceValidation {
  return { ok: false, errorCode, message };
}

/**
 * Checks one partition's records from a Produce request (v3+) the way Kafka does, without decoding
 * the records: exactly one RecordBatch v2 whose lengths agree with the bytes sent, whose CRC-32C
 * matches, that is not a control batch, and that fits max.message.bytes.
 */
export function validateProducedBatches(records: Buffer | null, limits: ProduceLimits): ProduceValidation {
  if (records === null || records.length === 0) return refuse(ErrorCode.INVALID_RECORD, 'produce requests must carry a record batch');
  if (records.length < BATCH_HEADER_SIZE) return refuse(ErrorCode.CORRUPT_MESSAGE, `${records.length} bytes is shorter than a record batch header`);
  const magic = records.readInt8(BatchField.MAGIC);
  if (magic !== CURRENT_MAGIC) return refuse(ErrorCode.INVALID_RECORD, `record batches must use magic ${CURRENT_MAGIC}, not ${magic}`);
  const size = records.readInt32BE(BatchField.BATCH_LENGTH) + LOG_OVERHEAD;
  if (size < BATCH_HEADER_SIZE || size > records.length) {
    return refuse(ErrorCode.CORRUPT_MESSAGE, `batch length ${size - LOG_OVERHEAD} does not fit the ${records.length} bytes sent`);
  }
  if (size < records.length) return refuse(ErrorCode.INVALID_RECORD, 'produce requests must carry exactly one record batch per partition');
  if (size > limits.maxMessageBytes) {
    return refuse(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${size} bytes is larger than max.message.bytes (${limits.maxMessageBytes})`);
  }
  if (!batchCrcMatches(records, 0, size)) return refuse(ErrorCode.CORRUPT_MESSAGE, 'record batch CRC-32C does not match its contents');
  const header = readBatchHeader(records, 0);
  if (header.attributes & Attribute.CONTROL) return refuse(ErrorCode.INVALID_RECORD, 'clients may not produce control batches');
  if (header.recordsCount < 1) return refuse(ErrorCode.INVALID_RECORD, `batch claims ${header.recordsCount} records`);
  if (header.lastOffsetDelta !== header.recordsCount - 1) {
    return refuse(ErrorCode.INVALID_RECORD, `last offset delta ${header.lastOffsetDelta} does not match ${header.recordsCount} records`);
  }
  if (header.recordsCount > size - BATCH_HEADER_SIZE && (header.attributes & Attribute.COMPRESSION_MASK) === 0) {
    return refuse(ErrorCode.CORRUPT_MESSAGE, `${header.recordsCount} records cannot fit in ${size - BATCH_HEADER_SIZE} bytes`);
  }
  return { ok: true, header };
}
