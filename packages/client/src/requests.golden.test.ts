// Golden tests of the requests this client sends, against the same requests captured from kcat
// (librdkafka), kafka-python and KafkaJS by tools/capture: given what the real client was asked to
// do (the topics, partitions, offsets and records in its frame), our request builders must encode
// the very same bytes at the same version, record batches and CRCs included.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  API_TABLE, Compression, decodeRecordBatchWithHeader, decodeRequestHeader, type FetchRequest, type ListOffsetsRequest, type MetadataRequest,
  type ProduceRequest, Reader, requestHeaderVersion, Writer,
} from '@millrace/protocol';
import { metadataRequest } from './cluster.ts';
import { fetcherOptions } from './consumer.ts';
import { fetchRequest, partitionShare } from './fetcher.ts';
import { EARLIEST, LATEST, listOffsetsRequest } from './offsets.ts';
import { PartitionQueue } from './partition-queue.ts';
import { PendingSend } from './pending-send.ts';
import { produceRequest } from './producer.ts';

const fixtures = new URL('../../protocol/test-fixtures/clients/', import.meta.url);

/** A captured frame: its API version, decoded body, and the bytes of the body alone. */
function captured<T>(file: string): { version: number; body: T; bytes: Buffer } {
  const frame = readFileSync(new URL(file, fixtures));
  const apiKey = frame.readInt16BE(0);
  const version = frame.readInt16BE(2);
  const r = new Reader(frame);
  decodeRequestHeader(r, requestHeaderVersion(apiKey, version));
  const start = frame.length - r.remaining();
  return { version, body: API_TABLE[apiKey]!.decodeRequest(r, version) as T, bytes: frame.subarray(start) };
}

function encode(apiKey: number, body: object, version: number): Buffer {
  const w = new Writer();
  API_TABLE[apiKey]!.encodeRequest(w, body as never, version);
  return w.finish();
}

/**
 * Where a batch holds its partition leader epoch, which the broker sets when it appends: the Java
 * producer (and we) send -1 there, librdkafka, kafka-python and KafkaJS send 0. The CRC does not cover it.
 */
const LEADER_EPOCH = { start: 12, end: 16 };

/** `ours` with the partition leader epoch of `theirs`, after checking ours says "none". */
function withTheirLeaderEpoch(ours: Buffer, theirs: Buffer): Buffer {
  assert.equal(ours.readInt32BE(LEADER_EPOCH.start), -1);
  assert.equal(theirs.readInt32BE(LEADER_EPOCH.start), 0);
  const copy = Buffer.from(ours);
  theirs.copy(copy, LEADER_EPOCH.start, LEADER_EPOCH.start, LEADER_EPOCH.end);
  return copy;
}

/** Our producer's batch of the records in a captured batch, as PartitionQueue encodes it for sending. */
function ourBatch(theirs: Buffer): Buffer {
  const decoded = decodeRecordBatchWithHeader(theirs);
  assert.equal(decoded.attributes & 0x07, Compression.NONE, 'the captured batch is uncompressed (compressed bytes depend on the compressor)');
  const queue = new PartitionQueue('t', 0);
  const send = new PendingSend('t', decoded.records.length);
  decoded.records.forEach((r, index) => queue.push({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, size: 0, queuedAt: 0, send, index }));
  return queue.takeBatch(1 << 20, Compression.NONE, null, false, 0).bytes;
}

for (const client of ['kcat', 'kafka-python']) {
  test(`Produce v7 like ${client}'s: the same request bytes, its record batch and CRC included (but for the leader epoch placeholder)`, () => {
    const { version, body, bytes } = captured<ProduceRequest>(`${client}/Produce-v7.bin`);
    const batches = body.topicData.flatMap((t) => t.partitionData.map((p) => ({ topic: t.name, partition: p.index, records: withTheirLeaderEpoch(ourBatch(p.records!), p.records!) })));
    assert.equal(encode(0, produceRequest(body.transactionalId, body.acks as -1, body.timeoutMs, batches), version).toString('hex'), bytes.toString('hex'));
  });
}

test('Produce v7 like KafkaJS\'s: the same records; KafkaJS alone writes epoch 0 and sequence 0 into a non-idempotent batch', () => {
  const { body } = captured<ProduceRequest>('kafkajs/Produce-v7.bin');
  const theirs = body.topicData[0].partitionData[0].records!;
  const ours = ourBatch(theirs);
  const [a, b] = [decodeRecordBatchWithHeader(ours), decodeRecordBatchWithHeader(theirs)];
  assert.deepEqual([a.producerId, a.producerEpoch, a.baseSequence], [-1n, -1, -1], 'no producer id, epoch or sequence, as librdkafka and Java write');
  assert.deepEqual([b.producerId, b.producerEpoch, b.baseSequence], [-1n, 0, 0]);
  assert.equal(ours.readInt32BE(LEADER_EPOCH.start), -1);
  const recordsStart = 61;
  assert.equal(ours.subarray(recordsStart).toString('hex'), theirs.subarray(recordsStart).toString('hex'), 'the records themselves are identical');
  assert.deepEqual([a.attributes, a.baseTimestamp, a.maxTimestamp, a.lastOffsetDelta], [b.attributes, b.baseTimestamp, b.maxTimestamp, b.lastOffsetDelta]);
});

const fetches = [
  { file: 'kcat/Fetch-v11.bin', isolation: 'read_committed' as const },
  { file: 'kafka-python/Fetch-v4.bin', isolation: 'read_uncommitted' as const },
];
for (const { file, isolation } of fetches) {
  test(`Fetch like ${file}: our consumer's defaults (max wait, min and max bytes) encode the same request, and so do its per-partition bytes where 8 or more partitions share a fetch`, () => {
    const { version, body, bytes } = captured<FetchRequest>(file);
    const partitions = body.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.fetchOffset) })));
    // Their per-partition bytes are Kafka's 1 MiB; ours too from 8 partitions on, else an equal share of 8 MiB.
    assert.equal(encode(1, fetchRequest(fetcherOptions({ isolation, maxPartitionBytes: 1 << 20 }), partitions), version).toString('hex'), bytes.toString('hex'));
    const ours = fetchRequest(fetcherOptions({ isolation }), partitions);
    assert.deepEqual(ours.topics.flatMap((t) => t.partitions.map((p) => p.partitionMaxBytes)), partitions.map(() => partitionShare(partitions.length)));
  });
}

test('default per-partition fetch bytes: an equal share of 8 MiB, never under 1 MiB', () => {
  assert.deepEqual([1, 2, 3, 8, 9, 100].map(partitionShare), [8 << 20, 4 << 20, Math.floor((8 << 20) / 3), 1 << 20, 1 << 20, 1 << 20]);
});

const listOffsets = [
  { file: 'kcat/ListOffsets-v2.bin', timestamp: EARLIEST },
  { file: 'kafkajs/ListOffsets-v3.bin', timestamp: LATEST },
];
for (const { file, timestamp } of listOffsets) {
  test(`ListOffsets like ${file}: the same request for the same partitions and isolation`, () => {
    const { version, body, bytes } = captured<ListOffsetsRequest>(file);
    const partitions = body.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
    assert.ok(body.topics.every((t) => t.partitions.every((p) => Number(p.timestamp) === timestamp)));
    assert.equal(encode(2, listOffsetsRequest(partitions, timestamp, body.isolationLevel === 1), version).toString('hex'), bytes.toString('hex'));
  });
}

test('Metadata like kcat\'s (v4, brokers only) and KafkaJS\'s (v6, every topic): the same requests', () => {
  const kcat = captured<MetadataRequest>('kcat/Metadata-v4.bin');
  assert.equal(encode(3, metadataRequest([], false, kcat.version), kcat.version).toString('hex'), kcat.bytes.toString('hex'));
  const kafkajs = captured<MetadataRequest>('kafkajs/Metadata-v6.bin');
  assert.equal(encode(3, metadataRequest(null, false, kafkajs.version), kafkajs.version).toString('hex'), kafkajs.bytes.toString('hex'));
});
