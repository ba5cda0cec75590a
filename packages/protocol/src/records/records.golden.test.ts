// Golden RecordBatch bytes from ../shared/kafka-fixtures/kafkajs/recordBatch. What they are:
// - fixtures/v0_recordbatch.json: a gzip batch as fetched from a Kafka broker (one record, stamped
//   with LogAppendTime by the broker).
// - fixtures/v0_recordbatch_zstd.json: a zstd records section whose header says "no compression"
//   (attributes 0), with a CRC that matches that header: not a valid batch as stored.
// - fixtures/v0_record.json: one record as KafkaJS encodes it, without its length prefix.
// - crc32C/fixtures/crcPayload.json: the CRC-covered part (attributes onwards) of an uncompressed
//   three-record batch; KafkaJS's tests check it against the CRC Java computes, 818496390.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { crc32c } from '../crc32c.ts';
import { ProtocolError } from '../protocol-error.ts';
import { Writer } from '../writer.ts';
import { Attribute, BATCH_HEADER_SIZE, BatchField, CURRENT_MAGIC, LOG_OVERHEAD } from './batch-layout.ts';
import { decodeRecordBatchWithHeader, encodeRecordBatch } from './records.ts';

const fixturesDir = new URL('../../../../../shared/kafka-fixtures/kafkajs/recordBatch/', import.meta.url);

function loadFixture(path: string): Buffer {
  const url = new URL(path, fixturesDir);
  assert.ok(existsSync(url), `golden tests need ../shared/kafka-fixtures beside the repository (looked for ${url.pathname})`);
  const json = JSON.parse(readFileSync(url, 'utf8')) as { type: string; data: number[] };
  assert.equal(json.type, 'Buffer');
  return Buffer.from(json.data);
}

/** A whole batch around `tail` (the bytes from the attributes field onwards), with its CRC. */
function batchAround(tail: Buffer): Buffer {
  const head = Buffer.alloc(BatchField.ATTRIBUTES);
  head.writeInt32BE(BatchField.ATTRIBUTES - LOG_OVERHEAD + tail.length, BatchField.BATCH_LENGTH);
  head.writeInt32BE(-1, BatchField.PARTITION_LEADER_EPOCH);
  head.writeInt8(CURRENT_MAGIC, BatchField.MAGIC);
  head.writeUInt32BE(crc32c(tail), BatchField.CRC);
  return Buffer.concat([head, tail]);
}

test('the kafka-fixtures folder is present', () => {
  assert.ok(existsSync(fixturesDir), `golden tests need ../shared/kafka-fixtures beside the repository (looked in ${fixturesDir.pathname})`);
});

test('gzip batch fetched from Kafka: header, record, and records section re-encoded byte for byte', () => {
  const bytes = loadFixture('fixtures/v0_recordbatch.json');
  const batch = decodeRecordBatchWithHeader(bytes);
  // The header values KafkaJS's own decoder test expects for this fixture.
  assert.equal(batch.attributes, 1 | Attribute.TIMESTAMP_TYPE_LOG_APPEND);
  assert.deepEqual(
    [batch.baseOffset, batch.baseTimestamp, batch.maxTimestamp, batch.partitionLeaderEpoch, batch.lastOffsetDelta, batch.producerId, batch.producerEpoch, batch.baseSequence],
    [0, 1597425188775, 1597425188809, 0, 0, -1n, 0, 0],
  );
  assert.equal(batch.size, bytes.length);
  assert.equal(batch.records.length, 1);
  const [record] = batch.records;
  assert.equal(record.offset, 0);
  assert.equal(record.timestamp, 1597425188809, 'LogAppendTime: the broker time');
  assert.equal(record.key!.toString(), 'key-0');
  assert.equal(record.value!.toString(), 'value-0-2020-08-14T17:13:08.682Z');
  assert.deepEqual(record.headers, []);

  // gzip output differs between zlib builds: compare the records sections decompressed.
  const plain = encodeRecordBatch({ ...batch, compression: 0 });
  assert.ok(plain.subarray(BATCH_HEADER_SIZE).equals(gunzipSync(bytes.subarray(BATCH_HEADER_SIZE))));
  const regzipped = encodeRecordBatch(batch);
  assert.ok(regzipped.subarray(BatchField.PARTITION_LEADER_EPOCH, BatchField.CRC).equals(bytes.subarray(BatchField.PARTITION_LEADER_EPOCH, BatchField.CRC)));
  assert.ok(regzipped.subarray(BatchField.ATTRIBUTES, BATCH_HEADER_SIZE).equals(bytes.subarray(BatchField.ATTRIBUTES, BATCH_HEADER_SIZE)));
  assert.deepEqual(decodeRecordBatchWithHeader(regzipped).records, batch.records);
});

test('uncompressed three-record batch: decodes, and re-encodes to identical bytes with the CRC Java computes', () => {
  const bytes = batchAround(loadFixture('crc32C/fixtures/crcPayload.json'));
  const batch = decodeRecordBatchWithHeader(bytes);
  assert.equal(batch.records.length, 3);
  assert.deepEqual(batch.records.map((r) => r.offset), [0, 1, 2]);
  for (const r of batch.records) {
    assert.match(r.key!.toString(), /^key-[0-9a-f]{20}$/);
    assert.match(r.value!.toString(), /^some-value-[0-9a-f]{20}$/);
    assert.deepEqual(r.headers, [{ key: 'a', value: Buffer.from('b') }]);
    assert.equal(r.timestamp, batch.baseTimestamp);
  }
  const reencoded = encodeRecordBatch(batch);
  assert.equal(reencoded.readUInt32BE(BatchField.CRC), 818496390);
  assert.equal(reencoded.toString('hex'), bytes.toString('hex'));
});

test('a KafkaJS record with repeated header keys decodes and re-encodes to identical bytes', () => {
  const body = loadFixture('fixtures/v0_record.json');
  const w = new Writer();
  w.varint(body.length);
  w.raw(body);
  const header = Buffer.alloc(BATCH_HEADER_SIZE - BatchField.ATTRIBUTES);
  header.writeBigInt64BE(-1n, BatchField.PRODUCER_ID - BatchField.ATTRIBUTES);
  header.writeInt16BE(-1, BatchField.PRODUCER_EPOCH - BatchField.ATTRIBUTES);
  header.writeInt32BE(-1, BatchField.BASE_SEQUENCE - BatchField.ATTRIBUTES);
  header.writeInt32BE(1, BatchField.RECORDS_COUNT - BatchField.ATTRIBUTES);
  const bytes = batchAround(Buffer.concat([header, w.finish()]));
  const batch = decodeRecordBatchWithHeader(bytes);
  const [record] = batch.records;
  assert.equal(record.key!.toString(), 'key-0');
  assert.equal(record.value!.toString(), 'some-value-0');
  assert.deepEqual(
    record.headers.map((h) => [h.key, h.value!.toString()]),
    [['header-key-0', 'header-value-0'], ['header-key-1', 'header-value-1'], ['header-key-1', 'header-value-2']],
  );
  assert.equal(encodeRecordBatch(batch).toString('hex'), bytes.toString('hex'));
});

test('the zstd sample is refused as it stands, and decodes once its attributes name zstd', () => {
  const bytes = loadFixture('fixtures/v0_recordbatch_zstd.json');
  assert.equal(bytes.readInt16BE(BatchField.ATTRIBUTES), 0, 'the header claims no compression');
  assert.equal(bytes.subarray(BATCH_HEADER_SIZE, BATCH_HEADER_SIZE + 4).toString('hex'), '28b52ffd', 'yet the records are a zstd frame');
  assert.throws(() => decodeRecordBatchWithHeader(bytes), (err: unknown) => err instanceof ProtocolError && err.code === 'MALFORMED');

  const fixed = Buffer.from(bytes);
  fixed.writeInt16BE(4, BatchField.ATTRIBUTES);
  fixed.writeUInt32BE(crc32c(fixed.subarray(BatchField.ATTRIBUTES)), BatchField.CRC);
  const batch = decodeRecordBatchWithHeader(fixed);
  assert.equal(batch.partitionLeaderEpoch, 911);
  assert.equal(batch.records.length, 1);
  const [record] = batch.records;
  assert.equal(record.key!.toString(), 'lorem');
  assert.match(record.value!.toString(), /^Lorem ipsum dolor sit amet, .* id est laborum$/);
  assert.equal(record.timestamp, 1602081211219);
  assert.deepEqual(decodeRecordBatchWithHeader(encodeRecordBatch(batch)).records, batch.records);
});
