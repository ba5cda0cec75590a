import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { CompressionError, CompressionErrorCode } from '../compression/index.ts';
import { crc32c } from '../crc32c.ts';
import { ProtocolError } from '../protocol-error.ts';
import { batchCrcMatches } from './batch-header.ts';
import { Attribute, BatchField, type CompressionCode } from './batch-layout.ts';
import { decodeRecordBatch, decodeRecordBatchWithHeader, encodeRecordBatch, type NewRecord } from './records.ts';

const CODECS: CompressionCode[] = [0, 1, 2, 3, 4];

function sampleRecords(count: number): NewRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: i % 3 === 0 ? null : Buffer.from(`key-${i}`),
    value: i % 5 === 0 ? null : i % 7 === 0 ? Buffer.alloc(0) : randomBytes(i % 50),
    headers: i % 4 === 0 ? [] : [{ key: `h${i}`, value: i % 2 ? null : Buffer.from('v') }, { key: 'ünïcode ✓', value: Buffer.from([i & 0xff]) }],
    timestamp: 1_700_000_000_000 + ((i * 37) % 1000) - 500,
  }));
}

function reseal(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch.subarray(BatchField.ATTRIBUTES)), BatchField.CRC);
  return batch;
}

for (const codec of CODECS) {
  test(`codec ${codec}: 2000 records with null keys and values, empty values, headers, round-trip`, () => {
    const records = sampleRecords(2000);
    const batch = encodeRecordBatch({ baseOffset: 5000, compression: codec, producerId: 42n, producerEpoch: 3, baseSequence: 17, partitionLeaderEpoch: 9, records });
    assert.ok(batchCrcMatches(batch, 0, batch.length));
    const decoded = decodeRecordBatchWithHeader(batch);
    assert.equal(decoded.attributes & Attribute.COMPRESSION_MASK, codec);
    assert.equal(decoded.size, batch.length);
    assert.deepEqual(
      [decoded.baseOffset, decoded.partitionLeaderEpoch, decoded.producerId, decoded.producerEpoch, decoded.baseSequence, decoded.recordsCount, decoded.lastOffsetDelta],
      [5000, 9, 42n, 3, 17, 2000, 1999],
    );
    assert.equal(decoded.baseTimestamp, records[0].timestamp);
    assert.equal(decoded.maxTimestamp, Math.max(...records.map((r) => r.timestamp!)));
    decoded.records.forEach((r, i) => {
      assert.equal(r.offset, 5000 + i);
      assert.equal(r.timestamp, records[i].timestamp);
      assert.deepEqual(r.key, records[i].key);
      assert.deepEqual(r.value, records[i].value);
      assert.deepEqual(r.headers, records[i].headers);
    });
    if (codec !== 0) assert.ok(batch.length < encodeRecordBatch({ baseOffset: 5000, records }).length, 'the records section is compressed');
  });
}

test('decoding then encoding reproduces the batch exactly', () => {
  for (const codec of CODECS) {
    const batch = encodeRecordBatch({ baseOffset: 7, compression: codec, records: sampleRecords(50) });
    assert.ok(encodeRecordBatch(decodeRecordBatchWithHeader(batch)).equals(batch), `codec ${codec}`);
  }
});

test('timestampDelta and offsetDelta are written as given; gaps keep the last offset delta', () => {
  const batch = encodeRecordBatch({
    baseOffset: 100,
    baseTimestamp: 1000,
    records: [
      { key: null, value: Buffer.from('a'), timestampDelta: 5, offsetDelta: 0 },
      { key: null, value: Buffer.from('b'), timestampDelta: -3, offsetDelta: 4 },
    ],
    lastOffsetDelta: 9,
  });
  const decoded = decodeRecordBatchWithHeader(batch);
  assert.deepEqual(decoded.records.map((r) => [r.offset, r.timestamp, r.offsetDelta, r.timestampDelta]), [[100, 1005, 0, 5], [104, 997, 4, -3]]);
  assert.equal(decoded.lastOffsetDelta, 9);
  assert.equal(decoded.maxTimestamp, 1005);
  assert.throws(() => encodeRecordBatch({ records: [{ key: null, value: null, timestampDelta: 1 }] }), /baseTimestamp/);
  assert.throws(() => encodeRecordBatch({ records: [] }), RangeError);
});

test('LogAppendTime batches give every record the max timestamp, and keep the stored deltas', () => {
  const batch = encodeRecordBatch({ attributes: Attribute.TIMESTAMP_TYPE_LOG_APPEND, maxTimestamp: 9999, records: [{ key: null, value: null, timestamp: 10 }, { key: null, value: null, timestamp: 12 }] });
  const decoded = decodeRecordBatchWithHeader(batch);
  assert.deepEqual(decoded.records.map((r) => [r.timestamp, r.timestampDelta]), [[9999, 0], [9999, 2]]);
  assert.ok(encodeRecordBatch(decoded).equals(batch));
});

test('a CRC mismatch is refused', () => {
  const batch = encodeRecordBatch({ records: sampleRecords(3) });
  batch[batch.length - 1] ^= 1;
  assert.throws(() => decodeRecordBatch(batch), (err: unknown) => err instanceof ProtocolError && err.code === 'CRC_MISMATCH');
});

test('the decompressed size is bounded', () => {
  const batch = encodeRecordBatch({ compression: 4, records: [{ key: null, value: Buffer.alloc(1 << 20), timestamp: 0 }] });
  assert.ok(batch.length < 1000);
  assert.throws(() => decodeRecordBatch(batch, 64 * 1024), (err: unknown) => err instanceof CompressionError && err.code === CompressionErrorCode.TOO_LARGE);
  assert.equal(decodeRecordBatch(batch, 2 << 20)[0].value!.length, 1 << 20);
});

test('an unknown codec in the attributes is UNSUPPORTED_COMPRESSION_TYPE', () => {
  const batch = encodeRecordBatch({ records: sampleRecords(1) });
  batch.writeInt16BE(6, BatchField.ATTRIBUTES);
  assert.throws(() => decodeRecordBatch(reseal(batch)), (err: unknown) => err instanceof CompressionError && err.code === CompressionErrorCode.UNSUPPORTED);
});

test('every truncation of a batch is refused as malformed', () => {
  const batch = encodeRecordBatch({ records: sampleRecords(5) });
  for (let n = 0; n < batch.length; n++) assert.throws(() => decodeRecordBatch(batch.subarray(0, n)), ProtocolError, `${n} bytes`);
});

test('record counts and lengths that disagree with the bytes are malformed', () => {
  const fewer = encodeRecordBatch({ records: sampleRecords(3) });
  fewer.writeInt32BE(2, BatchField.RECORDS_COUNT);
  assert.throws(() => decodeRecordBatch(reseal(fewer)), /bytes after the 2 records/);
  const negative = encodeRecordBatch({ records: sampleRecords(3) });
  negative.writeInt32BE(-1, BatchField.RECORDS_COUNT);
  assert.throws(() => decodeRecordBatch(reseal(negative)), /negative record count/);
  const magic = encodeRecordBatch({ records: sampleRecords(1) });
  magic.writeInt8(1, BatchField.MAGIC);
  assert.throws(() => decodeRecordBatch(magic), /magic 1/);
});

test('random corruption (with a valid CRC) yields an error or records, never an out-of-bounds read', () => {
  for (const codec of CODECS) {
    const original = encodeRecordBatch({ compression: codec, records: sampleRecords(20) });
    for (let trial = 0; trial < 300; trial++) {
      const batch = Buffer.from(original);
      for (let k = 0; k < 1 + (trial % 4); k++) batch[BatchField.RECORDS_COUNT + 4 + Math.floor(Math.random() * (batch.length - 61))] = Math.floor(Math.random() * 256);
      try {
        decodeRecordBatch(reseal(batch), 1 << 20);
      } catch (err) {
        assert.ok(err instanceof ProtocolError || err instanceof CompressionError, `codec ${codec}: ${String(err)}`);
      }
    }
  }
});
