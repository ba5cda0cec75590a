// Test input for the log: RecordBatch v2 headers with a correct CRC over opaque payload bytes. The
// log never looks inside records, so the payload need not be real records.
import { Attribute, BATCH_HEADER_SIZE, BatchField, crc32c, CURRENT_MAGIC, LOG_OVERHEAD } from '@millrace/protocol';

export interface TestBatch {
  records: number;
  payloadBytes?: number;
  maxTimestamp?: number;
  fill?: number;
  /** An idempotent producer's fields; -1 (none) by default. */
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /** Sets the transactional attribute (a batch of a transactional producer). */
  transactional?: boolean;
}

export function testBatch({ records, payloadBytes = 32, maxTimestamp = 1_700_000_000_000, fill = 0x61, producerId = -1, producerEpoch = -1, baseSequence = -1, transactional = false }: TestBatch): Buffer {
  const buf = Buffer.alloc(BATCH_HEADER_SIZE + payloadBytes, fill);
  buf.writeBigInt64BE(0n, BatchField.BASE_OFFSET);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BatchField.BATCH_LENGTH);
  buf.writeInt32BE(-1, BatchField.PARTITION_LEADER_EPOCH);
  buf.writeInt8(CURRENT_MAGIC, BatchField.MAGIC);
  buf.writeInt16BE(transactional ? Attribute.TRANSACTIONAL : 0, BatchField.ATTRIBUTES);
  buf.writeInt32BE(records - 1, BatchField.LAST_OFFSET_DELTA);
  buf.writeBigInt64BE(BigInt(maxTimestamp), BatchField.BASE_TIMESTAMP);
  buf.writeBigInt64BE(BigInt(maxTimestamp), BatchField.MAX_TIMESTAMP);
  buf.writeBigInt64BE(BigInt(producerId), BatchField.PRODUCER_ID);
  buf.writeInt16BE(producerEpoch, BatchField.PRODUCER_EPOCH);
  buf.writeInt32BE(baseSequence, BatchField.BASE_SEQUENCE);
  buf.writeInt32BE(records, BatchField.RECORDS_COUNT);
  buf.writeUInt32BE(crc32c(buf.subarray(BatchField.ATTRIBUTES)), BatchField.CRC);
  return buf;
}

/** Base offsets of the batches in a buffer of whole batches. */
export function baseOffsets(buf: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at < buf.length; at += buf.readInt32BE(at + BatchField.BATCH_LENGTH) + LOG_OVERHEAD) {
    out.push(Number(buf.readBigInt64BE(at)));
  }
  return out;
}
