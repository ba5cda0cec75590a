import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { crc32c } from '../crc32c.ts';
import { Reader } from '../reader.ts';
import { Writer } from '../writer.ts';
import { Attribute, BATCH_HEADER_SIZE, BatchField, Compression, CURRENT_MAGIC, LOG_OVERHEAD } from './batch-layout.ts';
import { readBatchHeader } from './batch-header.ts';

/** One record of a RecordBatch v2, with its absolute offset and timestamp once decoded. */
export interface KafkaRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

export interface NewBatch {
  baseOffset?: number;
  records: { key: Buffer | null; value: Buffer | null; headers?: { key: string; value: Buffer | null }[]; timestamp: number }[];
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  attributes?: number;
}

function writeNullable(w: Writer, bytes: Buffer | null): void {
  if (bytes === null) {
    w.varint(-1);
    return;
  }
  w.varint(bytes.length);
  w.raw(bytes);
}

/**
 * Encodes an uncompressed RecordBatch v2 (what the broker writes to its internal topics, and what
 * tests send). The broker never re-encodes client batches.
 */
export function encodeRecordBatch(batch: NewBatch): Buffer {
  if (batch.records.length === 0) throw new RangeError('a record batch needs at least one record');
  const baseTimestamp = batch.records[0].timestamp;
  const maxTimestamp = Math.max(...batch.records.map((r) => r.timestamp));
  const body = new Writer(256);
  batch.records.forEach((r, i) => {
    const w = new Writer(64);
    w.int8(0);
    w.varlong(BigInt(r.timestamp - baseTimestamp));
    w.varint(i);
    writeNullable(w, r.key);
    writeNullable(w, r.value);
    const headers = r.headers ?? [];
    w.varint(headers.length);
    for (const h of headers) {
      writeNullable(w, Buffer.from(h.key));
      writeNullable(w, h.value);
    }
    const record = w.finish();
    body.varint(record.length);
    body.raw(record);
  });
  const records = body.finish();
  const out = Buffer.alloc(BATCH_HEADER_SIZE + records.length);
  out.writeBigInt64BE(BigInt(batch.baseOffset ?? 0), BatchField.BASE_OFFSET);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BatchField.BATCH_LENGTH);
  out.writeInt32BE(-1, BatchField.PARTITION_LEADER_EPOCH);
  out.writeInt8(CURRENT_MAGIC, BatchField.MAGIC);
  out.writeInt16BE(batch.attributes ?? 0, BatchField.ATTRIBUTES);
  out.writeInt32BE(batch.records.length - 1, BatchField.LAST_OFFSET_DELTA);
  out.writeBigInt64BE(BigInt(baseTimestamp), BatchField.BASE_TIMESTAMP);
  out.writeBigInt64BE(BigInt(maxTimestamp), BatchField.MAX_TIMESTAMP);
  out.writeBigInt64BE(batch.producerId ?? -1n, BatchField.PRODUCER_ID);
  out.writeInt16BE(batch.producerEpoch ?? -1, BatchField.PRODUCER_EPOCH);
  out.writeInt32BE(batch.baseSequence ?? -1, BatchField.BASE_SEQUENCE);
  out.writeInt32BE(batch.records.length, BatchField.RECORDS_COUNT);
  records.copy(out, BATCH_HEADER_SIZE);
  out.writeUInt32BE(crc32c(out.subarray(BatchField.ATTRIBUTES)), BatchField.CRC);
  return out;
}

function readNullable(r: Reader): Buffer | null {
  const n = r.varint();
  return n < 0 ? null : r.raw(n);
}

/** The records section of a batch, decompressed (gzip and zstd; snappy and lz4 are not read here yet). */
function recordBytes(batch: Buffer, size: number, attributes: number, maxBytes: number): Buffer {
  const raw = batch.subarray(BATCH_HEADER_SIZE, size);
  switch (attributes & Attribute.COMPRESSION_MASK) {
    case Compression.NONE:
      return raw;
    case Compression.GZIP:
      return gunzipSync(raw, { maxOutputLength: maxBytes });
    case Compression.ZSTD:
      return zstdDecompressSync(raw, { maxOutputLength: maxBytes });
    default:
      throw new RangeError(`decoding records compressed with codec ${attributes & Attribute.COMPRESSION_MASK} is not supported`);
  }
}

/** Decodes the records of the batch at the start of `batch`. Throws on malformed records. */
export function decodeRecordBatch(batch: Buffer, maxDecompressedBytes = 64 * 1024 * 1024): KafkaRecord[] {
  const header = readBatchHeader(batch, 0);
  const r = new Reader(recordBytes(batch, header.size, header.attributes, maxDecompressedBytes));
  const records: KafkaRecord[] = [];
  for (let i = 0; i < header.recordsCount && !r.failed; i++) {
    const length = r.varint();
    const rec = r.sub(length);
    rec.int8();
    const timestampDelta = Number(rec.varlong());
    const offsetDelta = rec.varint();
    const key = readNullable(rec);
    const value = readNullable(rec);
    const headerCount = rec.varint();
    const headers: KafkaRecord['headers'] = [];
    for (let h = 0; h < headerCount && !rec.failed; h++) {
      const k = readNullable(rec);
      headers.push({ key: k?.toString('utf8') ?? '', value: readNullable(rec) });
    }
    if (rec.failed) r.fail(`record ${i}: ${rec.failure}`);
    const logAppend = (header.attributes & Attribute.TIMESTAMP_TYPE_LOG_APPEND) !== 0;
    records.push({ offset: header.baseOffset + offsetDelta, timestamp: logAppend ? header.maxTimestamp : header.baseTimestamp + timestampDelta, key, value, headers });
  }
  r.complete('record batch');
  return records;
}
