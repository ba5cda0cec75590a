import { compress, decompress } from '../compression/index.ts';
import { crc32c } from '../crc32c.ts';
import { ProtocolError } from '../protocol-error.ts';
import { Reader } from '../reader.ts';
import { Writer } from '../writer.ts';
import { Attribute, BATCH_HEADER_SIZE, BatchField, type CompressionCode, CURRENT_MAGIC, LOG_OVERHEAD } from './batch-layout.ts';
import { batchCrcMatches, readBatchHeader, type BatchHeader } from './batch-header.ts';

/*
 * The records inside a RecordBatch v2, for tests, tools and the broker's own internal topics; the
 * produce and fetch paths move client batches as opaque bytes and never come here.
 */

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** One record of a RecordBatch v2, with its absolute offset and timestamp once decoded. */
export interface KafkaRecord {
  offset: number;
  /** The record's own time, or the batch's max timestamp when the batch uses LogAppendTime. */
  timestamp: number;
  /** As stored, relative to the batch's base offset and base timestamp (re-encoding is lossless). */
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** A record to encode: `timestampDelta` is written as given, otherwise `timestamp` - baseTimestamp. */
export interface NewRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  timestamp?: number;
  timestampDelta?: number;
  /** Defaults to the record's index; compacted batches have gaps. */
  offsetDelta?: number;
}

export interface NewBatch {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  /** All attribute bits (timestamp type, transactional, control); `compression`, if set, replaces bits 0-2. */
  attributes?: number;
  compression?: CompressionCode;
  /** Defaults to the first record's timestamp, as the Java producer does. */
  baseTimestamp?: number;
  /** Defaults to the largest record timestamp; LogAppendTime batches carry the append time here. */
  maxTimestamp?: number;
  /** Defaults to the last record's offsetDelta; compaction keeps it when it drops the last record. */
  lastOffsetDelta?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  records: NewRecord[];
}

/** A decoded batch: every header field, and its records. It is a valid NewBatch. */
export interface DecodedRecordBatch extends BatchHeader {
  records: KafkaRecord[];
}

/** Default bound on a decompressed records section: far above any sane batch, yet finite. */
const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/** Deltas up to this size are zigzag-encoded exactly with numbers; larger ones (absurd, but legal) go through bigint. */
const NUMBER_VARINT_LIMIT = 2 ** 52;

/** Bytes of a zigzag varint, as Writer.varint (or varlong, for huge values) writes it. */
function varintSize(v: number): number {
  if (Math.abs(v) >= NUMBER_VARINT_LIMIT) {
    let z = BigInt.asUintN(64, (BigInt(v) << 1n) ^ (BigInt(v) >> 63n));
    let n = 1;
    for (; z >= 0x80n; z >>= 7n) n++;
    return n;
  }
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  let n = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

function writeLongVarint(w: Writer, v: number): void {
  if (Math.abs(v) >= NUMBER_VARINT_LIMIT) w.varlong(BigInt(v));
  else w.varint(v);
}

function nullableSize(length: number | undefined): number {
  return length === undefined ? 1 : varintSize(length) + length;
}

function writeNullable(w: Writer, bytes: Buffer | null): void {
  if (bytes === null) {
    w.varint(-1);
    return;
  }
  w.varint(bytes.length);
  w.raw(bytes);
}

function recordTimestamp(r: NewRecord, baseTimestamp: number): number {
  if (r.timestampDelta !== undefined) return baseTimestamp + r.timestampDelta;
  if (r.timestamp !== undefined) return r.timestamp;
  throw new RangeError('a record needs a timestamp or a timestampDelta');
}

const NO_KEYS: Buffer[] = [];

/** The UTF-8 bytes of each record's header keys, computed once for sizing and writing. */
function headerKeysOf(r: NewRecord): Buffer[] {
  return r.headers && r.headers.length > 0 ? r.headers.map((h) => Buffer.from(h.key)) : NO_KEYS;
}

/** The length of a record's body: what its length prefix says. */
function recordLength(r: NewRecord, timestampDelta: number, offsetDelta: number, headerKeys: Buffer[]): number {
  let length = 1 + varintSize(timestampDelta) + varintSize(offsetDelta) + nullableSize(r.key?.length) + nullableSize(r.value?.length) + varintSize(headerKeys.length);
  for (let i = 0; i < headerKeys.length; i++) length += nullableSize(headerKeys[i].length) + nullableSize(r.headers![i].value?.length);
  return length;
}

/**
 * Writes the records section into `w`: each record is [length varint][attributes int8 = 0][deltas]
 * [key][value][headers]. Sized first, so that every byte is copied once; nothing per record is
 * allocated but header keys, as a producer encodes hundreds of thousands of records a second.
 */
function writeRecords(w: Writer, records: NewRecord[], baseTimestamp: number, lengths: Int32Array, headerKeys: Buffer[][]): void {
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const keys = headerKeys[i];
    w.varint(lengths[i]);
    w.int8(0);
    writeLongVarint(w, recordTimestamp(r, baseTimestamp) - baseTimestamp);
    w.varint(r.offsetDelta ?? i);
    writeNullable(w, r.key);
    writeNullable(w, r.value);
    w.varint(keys.length);
    for (let j = 0; j < keys.length; j++) {
      writeNullable(w, keys[j]);
      writeNullable(w, r.headers![j].value);
    }
  }
}

/**
 * Encodes a RecordBatch v2 with its CRC-32C, compressing the records section when asked. An
 * uncompressed batch is written at the start of `allocate(size)` when given (a buffer the caller
 * uses again); the result is a view of it.
 */
export function encodeRecordBatch(batch: NewBatch, allocate?: (size: number) => Buffer): Buffer {
  const { records } = batch;
  if (records.length === 0) throw new RangeError('a record batch needs at least one record');
  const baseTimestamp = batch.baseTimestamp ?? records[0].timestamp;
  if (baseTimestamp === undefined) throw new RangeError('records given by timestampDelta need the batch baseTimestamp');
  let maxTimestamp = batch.maxTimestamp;
  if (maxTimestamp === undefined) {
    maxTimestamp = -Infinity;
    for (const r of records) maxTimestamp = Math.max(maxTimestamp, recordTimestamp(r, baseTimestamp));
  }
  let attributes = batch.attributes ?? 0;
  if (batch.compression !== undefined) attributes = (attributes & ~Attribute.COMPRESSION_MASK) | batch.compression;
  const codec = (attributes & Attribute.COMPRESSION_MASK) as CompressionCode;
  const lengths = new Int32Array(records.length);
  const headerKeys = records.map(headerKeysOf);
  let sectionSize = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    lengths[i] = recordLength(r, recordTimestamp(r, baseTimestamp) - baseTimestamp, r.offsetDelta ?? i, headerKeys[i]);
    sectionSize += varintSize(lengths[i]) + lengths[i];
  }

  // Uncompressed records are written in place after the header; compressed ones are compressed first.
  let out: Buffer;
  if (codec === 0) {
    const size = BATCH_HEADER_SIZE + sectionSize;
    const w = allocate ? Writer.into(allocate(size)) : new Writer(size);
    w.pos = BATCH_HEADER_SIZE;
    writeRecords(w, records, baseTimestamp, lengths, headerKeys);
    out = w.finish();
  } else {
    const w = new Writer(sectionSize);
    writeRecords(w, records, baseTimestamp, lengths, headerKeys);
    const section = compress(codec, w.finish());
    out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + section.length);
    section.copy(out, BATCH_HEADER_SIZE);
  }
  // Every header byte is written below (the buffer may hold old memory).
  out.writeBigInt64BE(BigInt(batch.baseOffset ?? 0), BatchField.BASE_OFFSET);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BatchField.BATCH_LENGTH);
  out.writeInt32BE(batch.partitionLeaderEpoch ?? -1, BatchField.PARTITION_LEADER_EPOCH);
  out.writeInt8(CURRENT_MAGIC, BatchField.MAGIC);
  out.writeInt16BE(attributes, BatchField.ATTRIBUTES);
  out.writeInt32BE(batch.lastOffsetDelta ?? records[records.length - 1].offsetDelta ?? records.length - 1, BatchField.LAST_OFFSET_DELTA);
  out.writeBigInt64BE(BigInt(baseTimestamp), BatchField.BASE_TIMESTAMP);
  out.writeBigInt64BE(BigInt(maxTimestamp), BatchField.MAX_TIMESTAMP);
  out.writeBigInt64BE(batch.producerId ?? -1n, BatchField.PRODUCER_ID);
  out.writeInt16BE(batch.producerEpoch ?? -1, BatchField.PRODUCER_EPOCH);
  out.writeInt32BE(batch.baseSequence ?? -1, BatchField.BASE_SEQUENCE);
  out.writeInt32BE(records.length, BatchField.RECORDS_COUNT);
  out.writeUInt32BE(crc32c(out.subarray(BatchField.ATTRIBUTES)), BatchField.CRC);
  return out;
}

function readNullable(r: Reader): Buffer | null {
  const n = r.varint();
  return n < 0 ? null : r.raw(n);
}

function malformed(reason: string): ProtocolError {
  return new ProtocolError('MALFORMED', `malformed record batch: ${reason}`);
}

/** Checks everything about the header that decoding relies on; all reads below stay inside `batch`. */
function readCheckedHeader(batch: Buffer): BatchHeader {
  if (batch.length < BATCH_HEADER_SIZE) throw malformed(`${batch.length} bytes is shorter than a batch header`);
  const header = readBatchHeader(batch, 0);
  if (header.magic !== CURRENT_MAGIC) throw malformed(`magic ${header.magic}, expected ${CURRENT_MAGIC}`);
  if (header.size < BATCH_HEADER_SIZE || header.size > batch.length) throw malformed(`batch length ${header.size - LOG_OVERHEAD} does not fit ${batch.length} bytes`);
  if (header.recordsCount < 0) throw malformed(`negative record count ${header.recordsCount}`);
  if (!batchCrcMatches(batch, 0, header.size)) throw new ProtocolError('CRC_MISMATCH', 'record batch CRC-32C does not match its contents');
  return header;
}

function decodeRecord(r: Reader, index: number, header: BatchHeader, logAppendTime: boolean): KafkaRecord {
  const length = r.varint();
  const rec = r.sub(length);
  rec.int8();
  const timestampDelta = rec.varlongNumber();
  const offsetDelta = rec.varint();
  const key = readNullable(rec);
  const value = readNullable(rec);
  const headerCount = rec.varint();
  if (headerCount < 0) rec.fail(`negative header count ${headerCount}`);
  const headers: RecordHeader[] = [];
  for (let h = 0; h < headerCount && !rec.failed; h++) {
    const k = readNullable(rec);
    if (k === null) rec.fail('null header key');
    headers.push({ key: k?.toString('utf8') ?? '', value: readNullable(rec) });
  }
  if (rec.remaining() > 0) rec.fail(`${rec.remaining()} bytes left inside a ${length}-byte record`);
  if (rec.failed) r.fail(`record ${index}: ${rec.failure}`);
  return {
    offset: header.baseOffset + offsetDelta,
    timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
    offsetDelta,
    timestampDelta,
    key,
    value,
    headers,
  };
}

/**
 * Decodes the batch at the start of `batch` (bytes after it are ignored): its header and records,
 * after checking its CRC-32C. Never reads outside `batch`; a compressed records section may inflate
 * to at most `maxDecompressedBytes` (CompressionError otherwise). Throws ProtocolError on malformed bytes.
 */
export function decodeRecordBatchWithHeader(batch: Buffer, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): DecodedRecordBatch {
  const header = readCheckedHeader(batch);
  const codec = (header.attributes & Attribute.COMPRESSION_MASK) as CompressionCode;
  const section = batch.subarray(BATCH_HEADER_SIZE, header.size);
  const r = new Reader(codec === 0 ? section : decompress(codec, section, maxDecompressedBytes));
  const logAppendTime = (header.attributes & Attribute.TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  const records: KafkaRecord[] = [];
  for (let i = 0; i < header.recordsCount && !r.failed; i++) {
    const record = decodeRecord(r, i, header, logAppendTime);
    if (!r.failed) records.push(record);
  }
  if (r.remaining() > 0) r.fail(`${r.remaining()} bytes after the ${header.recordsCount} records the header counts`);
  r.complete('record batch');
  return { ...header, records };
}

/** The records of the batch at the start of `batch`; see decodeRecordBatchWithHeader. */
export function decodeRecordBatch(batch: Buffer, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): KafkaRecord[] {
  return decodeRecordBatchWithHeader(batch, maxDecompressedBytes).records;
}
