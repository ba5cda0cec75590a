import { crc32c } from '../crc32c.ts';
import { Attribute, BATCH_HEADER_SIZE, BatchField, LOG_OVERHEAD } from './batch-layout.ts';

/** The header fields of one batch, read without touching its records. */
export interface BatchHeader {
  baseOffset: number;
  /** Whole batch size in bytes, including the 12-byte log overhead. */
  size: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

/**
 * Reads the header of the batch at `pos`; the caller has checked that BATCH_HEADER_SIZE bytes are
 * there. Offsets and timestamps become numbers: exact below 2^53, which offsets the broker assigns
 * and millisecond timestamps never reach.
 */
export function readBatchHeader(buf: Buffer, pos: number): BatchHeader {
  return {
    baseOffset: Number(buf.readBigInt64BE(pos + BatchField.BASE_OFFSET)),
    size: buf.readInt32BE(pos + BatchField.BATCH_LENGTH) + LOG_OVERHEAD,
    partitionLeaderEpoch: buf.readInt32BE(pos + BatchField.PARTITION_LEADER_EPOCH),
    magic: buf.readInt8(pos + BatchField.MAGIC),
    crc: buf.readUInt32BE(pos + BatchField.CRC),
    attributes: buf.readInt16BE(pos + BatchField.ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(pos + BatchField.LAST_OFFSET_DELTA),
    baseTimestamp: Number(buf.readBigInt64BE(pos + BatchField.BASE_TIMESTAMP)),
    maxTimestamp: Number(buf.readBigInt64BE(pos + BatchField.MAX_TIMESTAMP)),
    producerId: buf.readBigInt64BE(pos + BatchField.PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + BatchField.PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + BatchField.BASE_SEQUENCE),
    recordsCount: buf.readInt32BE(pos + BatchField.RECORDS_COUNT),
  };
}

/** The stored CRC matches the bytes it covers. `size` is the whole batch size (with log overhead). */
export function batchCrcMatches(buf: Buffer, pos: number, size: number): boolean {
  return crc32c(buf.subarray(pos + BatchField.ATTRIBUTES, pos + size)) === buf.readUInt32BE(pos + BatchField.CRC);
}

/**
 * Stamps a batch for appending: its base offset and leader epoch (outside the CRC), and for topics
 * with message.timestamp.type=LogAppendTime the broker's time as max timestamp, which is inside the
 * CRC and so recomputes it.
 */
export function patchBatchForAppend(buf: Buffer, pos: number, size: number, baseOffset: number, leaderEpoch: number, logAppendTime: number | null): void {
  buf.writeBigInt64BE(BigInt(baseOffset), pos + BatchField.BASE_OFFSET);
  buf.writeInt32BE(leaderEpoch, pos + BatchField.PARTITION_LEADER_EPOCH);
  if (logAppendTime === null) return;
  const attributes = buf.readInt16BE(pos + BatchField.ATTRIBUTES) | Attribute.TIMESTAMP_TYPE_LOG_APPEND;
  buf.writeInt16BE(attributes, pos + BatchField.ATTRIBUTES);
  buf.writeBigInt64BE(BigInt(logAppendTime), pos + BatchField.MAX_TIMESTAMP);
  buf.writeUInt32BE(crc32c(buf.subarray(pos + BatchField.ATTRIBUTES, pos + size)), pos + BatchField.CRC);
}

/**
 * Size of the complete batch at `pos` if its header is there and its length fits in the buffer,
 * else -1 (a truncated tail: a partial write, or a fetch response cut at its byte limit).
 */
export function completeBatchSize(buf: Buffer, pos: number, end = buf.length): number {
  if (end - pos < LOG_OVERHEAD) return -1;
  const size = buf.readInt32BE(pos + BatchField.BATCH_LENGTH) + LOG_OVERHEAD;
  if (size < BATCH_HEADER_SIZE || size > end - pos) return -1;
  return size;
}
