// Scenario tests: request sequences against an in-process broker, checked against Kafka's behaviour.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import {
  ApiKey, type ApiVersionsResponse, createApiVersionsRequest, createFetchRequest, createFetchRequestFetchPartition,
  createFetchRequestFetchTopic, createListOffsetsRequest, createListOffsetsRequestListOffsetsPartition,
  createListOffsetsRequestListOffsetsTopic, createMetadataRequest, createMetadataRequestMetadataRequestTopic,
  createProduceRequest, createProduceRequestPartitionProduceData, createProduceRequestTopicProduceData, decodeApiVersionsResponse,
  createDeleteRecordsRequest, createDeleteRecordsRequestDeleteRecordsPartition, createDeleteRecordsRequestDeleteRecordsTopic,
  createDescribeClusterRequest, createIncrementalAlterConfigsRequest, createIncrementalAlterConfigsRequestAlterableConfig,
  createIncrementalAlterConfigsRequestAlterConfigsResource, createOffsetForLeaderEpochRequest,
  createOffsetForLeaderEpochRequestOffsetForLeaderPartition, createOffsetForLeaderEpochRequestOffsetForLeaderTopic,
  type DeleteRecordsResponse, type DescribeClusterResponse, type IncrementalAlterConfigsResponse, type OffsetForLeaderEpochResponse,
  ErrorCode, type FetchResponse, type ListOffsetsResponse, type MetadataResponse, type ProduceResponse, Reader,
} from '@millrace/protocol';
import { testBatch } from '../../storage/src/test-batches.ts';
import { startTestBroker, type TestBroker } from './test-support/test-broker.ts';
import { WireClient } from './test-support/wire-client.ts';

let tb: TestBroker;
let client: WireClient;

before(async () => {
  tb = await startTestBroker({ 'num.partitions': '2', 'message.max.bytes': '10000' });
  client = await WireClient.connect(tb.port);
});

after(async () => {
  client.close();
  await tb.close();
});

function produce(topic: string, records: Buffer | null, { version = 7, acks = -1, partition = 0 } = {}) {
  return client.request<ProduceResponse>(ApiKey.Produce, version, createProduceRequest({
    acks,
    timeoutMs: 1000,
    topicData: [createProduceRequestTopicProduceData({ name: topic, partitionData: [createProduceRequestPartitionProduceData({ index: partition, records })] })],
  }));
}

function fetch(topic: string, offset: number, { maxWaitMs = 0, minBytes = 0, maxBytes = 1 << 20, partitionMaxBytes = 1 << 20, c = client } = {}) {
  return c.request<FetchResponse>(ApiKey.Fetch, 11, createFetchRequest({
    replicaId: -1, maxWaitMs, minBytes, maxBytes,
    topics: [createFetchRequestFetchTopic({ topic, partitions: [createFetchRequestFetchPartition({ partition: 0, fetchOffset: BigInt(offset), partitionMaxBytes })] })],
  }));
}

function metadata(topic: string, allowAutoTopicCreation = true, version = 9) {
  return client.request<MetadataResponse>(ApiKey.Metadata, version, createMetadataRequest({
    topics: [createMetadataRequestMetadataRequestTopic({ name: topic })],
    allowAutoTopicCreation,
  }));
}

test('ApiVersions advertises exactly the handlers, v0 to v4', async () => {
  const coverage = readFileSync(new URL('../../../docs/api-coverage.md', import.meta.url), 'utf8');
  for (let v = 0; v <= 4; v++) {
    const response = await client.request<ApiVersionsResponse>(ApiKey.ApiVersions, v, createApiVersionsRequest({ clientSoftwareName: 'test', clientSoftwareVersion: '1.0' }), v);
    assert.equal(response.errorCode, 0);
    assert.deepEqual(response.apiKeys.map((k) => k.apiKey), [...tb.broker.state.handlers.keys()].sort((a, b) => a - b));
    for (const k of response.apiKeys) {
      assert.ok(coverage.includes(`| ${k.apiKey} | `) && coverage.includes(` | ${k.minVersion}-${k.maxVersion} |`), `docs/api-coverage.md lists API ${k.apiKey} ${k.minVersion}-${k.maxVersion}`);
    }
    const produce = response.apiKeys.find((k) => k.apiKey === ApiKey.Produce)!;
    assert.equal(produce.minVersion, 0, 'librdkafka needs Produce v0 in range to compress');
  }
});

test('ApiVersions at an unknown version is answered at v0 with UNSUPPORTED_VERSION and the ranges (KIP-511)', async () => {
  const raw = client.frame(ApiKey.ApiVersions, 3, createApiVersionsRequest({ clientSoftwareName: 'x', clientSoftwareVersion: '1' }));
  raw.writeInt16BE(77, 6);
  const answer = client.nextFrame();
  client.sendRaw(raw);
  const frame = (await answer)!;
  const r = new Reader(frame);
  r.int32();
  const response = decodeApiVersionsResponse(r, 0);
  r.complete('ApiVersions v0');
  assert.equal(response.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  assert.ok(response.apiKeys.some((k) => k.apiKey === ApiKey.Fetch));
});

test('ApiVersions v3 with an invalid client software name gets INVALID_REQUEST', async () => {
  const response = await client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, createApiVersionsRequest({ clientSoftwareName: '-bad name-', clientSoftwareVersion: '1' }));
  assert.equal(response.errorCode, ErrorCode.INVALID_REQUEST);
});

test('Metadata auto-creates only when both the client and the broker allow it', async () => {
  const created = await metadata('auto-made', true, 12);
  assert.equal(created.topics[0].errorCode, 0);
  assert.equal(created.topics[0].partitions.length, 2, 'num.partitions');
  assert.notEqual(created.topics[0].topicId, 'AAAAAAAAAAAAAAAAAAAAAA');
  const refused = await metadata('not-made', false);
  assert.equal(refused.topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const invalid = await metadata('bad/name');
  assert.equal(invalid.topics[0].errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  const all = await client.request<MetadataResponse>(ApiKey.Metadata, 4, createMetadataRequest({ topics: null }));
  assert.ok(all.topics.some((t) => t.name === 'auto-made'));
  assert.ok(!all.topics.some((t) => t.name === 'not-made'));
  assert.equal(all.brokers[0].port, tb.port);
  assert.equal(all.clusterId, tb.broker.state.identity.clusterId);
});

test('Produce: offsets assigned, old versions refused, bad batches refused with Kafka codes', async () => {
  await metadata('p');
  const ok = await produce('p', testBatch({ records: 3 }));
  assert.equal(ok.responses[0].partitionResponses[0].errorCode, 0);
  assert.equal(ok.responses[0].partitionResponses[0].baseOffset, 0n);
  const next = await produce('p', testBatch({ records: 2 }));
  assert.equal(next.responses[0].partitionResponses[0].baseOffset, 3n);

  const v2 = await produce('p', testBatch({ records: 1 }), { version: 2 });
  assert.equal(v2.responses[0].partitionResponses[0].errorCode, ErrorCode.UNSUPPORTED_VERSION);

  const corrupt = testBatch({ records: 1 });
  corrupt[corrupt.length - 1] ^= 0xff;
  assert.equal((await produce('p', corrupt)).responses[0].partitionResponses[0].errorCode, ErrorCode.CORRUPT_MESSAGE);
  assert.equal((await produce('p', testBatch({ records: 1, payloadBytes: 20_000 }))).responses[0].partitionResponses[0].errorCode, ErrorCode.MESSAGE_TOO_LARGE);
  const oldMagic = testBatch({ records: 1 });
  oldMagic.writeInt8(1, 16);
  assert.equal((await produce('p', oldMagic)).responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_RECORD);
  assert.equal((await produce('p', Buffer.concat([testBatch({ records: 1 }), testBatch({ records: 1 })]))).responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_RECORD);
  assert.equal((await produce('p', null)).responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_RECORD);
  assert.equal((await produce('nope', testBatch({ records: 1 }))).responses[0].partitionResponses[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal((await produce('p', testBatch({ records: 1 }), { acks: 2 })).responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_REQUIRED_ACKS);

  const fetched = await fetch('p', 0);
  const records = fetched.responses[0].partitions[0];
  assert.equal(records.highWatermark, 5n, 'refused batches were not written');
});

test('Produce: message.timestamp.after.max.ms refuses records from the future', async () => {
  await metadata('ts');
  const alter = await client.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 0, createIncrementalAlterConfigsRequest({
    resources: [createIncrementalAlterConfigsRequestAlterConfigsResource({
      resourceType: 2,
      resourceName: 'ts',
      configs: [createIncrementalAlterConfigsRequestAlterableConfig({ name: 'message.timestamp.after.max.ms', configOperation: 0, value: '60000' })],
    })],
  }));
  assert.equal(alter.responses[0].errorCode, 0);
  const future = await produce('ts', testBatch({ records: 1, maxTimestamp: Date.now() + 3_600_000 }));
  assert.equal(future.responses[0].partitionResponses[0].errorCode, ErrorCode.INVALID_TIMESTAMP);
  const present = await produce('ts', testBatch({ records: 1, maxTimestamp: Date.now() }));
  assert.equal(present.responses[0].partitionResponses[0].errorCode, 0);
});

test('IncrementalAlterConfigs: unknown configs, unsupported values and list operations', async () => {
  await metadata('cfg');
  const alter = (name: string, configOperation: number, value: string | null) =>
    client.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, createIncrementalAlterConfigsRequest({
      resources: [createIncrementalAlterConfigsRequestAlterConfigsResource({
        resourceType: 2, resourceName: 'cfg', configs: [createIncrementalAlterConfigsRequestAlterableConfig({ name, configOperation, value })],
      })],
    })).then((r) => r.responses[0]);
  assert.equal((await alter('no.such.config', 0, '1')).errorCode, ErrorCode.INVALID_CONFIG);
  assert.equal((await alter('compression.type', 0, 'gzip')).errorCode, ErrorCode.INVALID_CONFIG);
  assert.equal((await alter('retention.ms', 2, '5')).errorCode, ErrorCode.INVALID_CONFIG, 'APPEND needs a list config');
  assert.equal((await alter('cleanup.policy', 2, 'compact')).errorCode, 0);
  assert.deepEqual(tb.broker.state.topics.get('cfg')!.record.configs, { 'cleanup.policy': 'delete,compact' });
  assert.equal((await alter('cleanup.policy', 1, null)).errorCode, 0);
  assert.deepEqual(tb.broker.state.topics.get('cfg')!.record.configs, {});
});

test('OffsetForLeaderEpoch, DescribeCluster and DeleteRecords', async () => {
  await metadata('misc');
  for (let i = 0; i < 3; i++) await produce('misc', testBatch({ records: 2 }));
  const epochs = await client.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, 2, createOffsetForLeaderEpochRequest({
    topics: [createOffsetForLeaderEpochRequestOffsetForLeaderTopic({ topic: 'misc', partitions: [
      createOffsetForLeaderEpochRequestOffsetForLeaderPartition({ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }),
      createOffsetForLeaderEpochRequestOffsetForLeaderPartition({ partition: 1, currentLeaderEpoch: 5, leaderEpoch: 0 }),
    ] })],
  }));
  assert.deepEqual(epochs.topics[0].partitions.map((p) => [p.errorCode, p.leaderEpoch, p.endOffset]), [[0, 0, 6n], [ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1n]]);
  const cluster = await client.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 1, createDescribeClusterRequest({ endpointType: 1 }));
  assert.equal(cluster.errorCode, 0);
  assert.equal(cluster.brokers[0].port, tb.port);
  const deleted = await client.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, 1, createDeleteRecordsRequest({
    topics: [createDeleteRecordsRequestDeleteRecordsTopic({ name: 'misc', partitions: [createDeleteRecordsRequestDeleteRecordsPartition({ partitionIndex: 0, offset: 4n })] })],
    timeoutMs: 1000,
  }));
  assert.equal(deleted.topics[0].partitions[0].lowWatermark, 4n);
  assert.equal((await fetch('misc', 2)).responses[0].partitions[0].errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  assert.equal((await fetch('misc', 4)).responses[0].partitions[0].logStartOffset, 4n);
});

test('Produce with acks=0: no answer; a failure closes the connection', async () => {
  await metadata('quiet');
  const silent = await WireClient.connect(tb.port);
  const frames = silent.nextFrame();
  silent.sendRaw(silent.frame(ApiKey.Produce, 7, createProduceRequest({ acks: 0, timeoutMs: 1000, topicData: [
    createProduceRequestTopicProduceData({ name: 'quiet', partitionData: [createProduceRequestPartitionProduceData({ index: 0, records: testBatch({ records: 2 }) })] }),
  ] })));
  silent.sendRaw(silent.frame(ApiKey.Produce, 7, createProduceRequest({ acks: 0, timeoutMs: 1000, topicData: [
    createProduceRequestTopicProduceData({ name: 'no-such-topic', partitionData: [createProduceRequestPartitionProduceData({ index: 0, records: testBatch({ records: 1 }) })] }),
  ] })));
  assert.equal(await frames, null, 'no response frame, then the connection closes');
  const written = await fetch('quiet', 0, { maxWaitMs: 5000, minBytes: 1 });
  assert.equal(written.responses[0].partitions[0].highWatermark, 2n, 'the good acks=0 produce was written');
});

test('Fetch: inside a batch returns the whole batch; limits; out of range; empty is empty bytes', async () => {
  await metadata('f');
  for (let i = 0; i < 5; i++) await produce('f', testBatch({ records: 10, payloadBytes: 100 }));
  const inside = (await fetch('f', 15)).responses[0].partitions[0];
  assert.equal(inside.errorCode, 0);
  assert.equal(inside.records!.readBigInt64BE(0), 10n, 'starts at the batch holding offset 15');
  const one = (await fetch('f', 0, { partitionMaxBytes: 1 })).responses[0].partitions[0];
  assert.equal(one.records!.length, testBatch({ records: 10, payloadBytes: 100 }).length, 'an oversized first batch still comes whole');
  const tail = (await fetch('f', 50)).responses[0].partitions[0];
  assert.equal(tail.errorCode, 0);
  assert.ok(tail.records !== null && tail.records.length === 0);
  assert.equal((await fetch('f', 51)).responses[0].partitions[0].errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  assert.equal((await fetch('f', -1)).responses[0].partitions[0].errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
});

test('Fetch long-polls: it waits for max_wait_ms, and answers as soon as data arrives', async () => {
  await metadata('lp');
  const started = Date.now();
  const empty = await fetch('lp', 0, { maxWaitMs: 300, minBytes: 1 });
  assert.ok(Date.now() - started >= 280, 'waited for max_wait_ms');
  assert.equal(empty.responses[0].partitions[0].records!.length, 0);

  const other = await WireClient.connect(tb.port);
  const waiting = fetch('lp', 0, { maxWaitMs: 20_000, minBytes: 1, c: other });
  await new Promise((r) => setTimeout(r, 100));
  const sent = Date.now();
  await produce('lp', testBatch({ records: 1 }));
  const woke = await waiting;
  assert.ok(Date.now() - sent < 10_000, 'woken by the produce, not the timeout');
  assert.equal(woke.responses[0].partitions[0].records!.readBigInt64BE(0), 0n);
  other.close();
});

test('ListOffsets: earliest, latest, by timestamp, max timestamp', async () => {
  await metadata('lo');
  for (let i = 0; i < 3; i++) await produce('lo', testBatch({ records: 2, maxTimestamp: 1000 * (i + 1) }));
  const ask = async (timestamp: bigint) => {
    const response = await client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, createListOffsetsRequest({
      replicaId: -1,
      topics: [createListOffsetsRequestListOffsetsTopic({ name: 'lo', partitions: [createListOffsetsRequestListOffsetsPartition({ partitionIndex: 0, timestamp })] })],
    }));
    return response.topics[0].partitions[0];
  };
  assert.equal((await ask(-2n)).offset, 0n);
  assert.equal((await ask(-1n)).offset, 6n);
  assert.equal((await ask(1500n)).offset, 2n);
  assert.equal((await ask(1500n)).timestamp, 2000n);
  assert.equal((await ask(5000n)).offset, -1n);
  const max = await ask(-3n);
  assert.equal(max.timestamp, 3000n);
  assert.equal(max.offset, 5n);
});

test('bad input closes only the offending connection', async () => {
  const victims = await Promise.all([WireClient.connect(tb.port), WireClient.connect(tb.port), WireClient.connect(tb.port)]);
  const unknownKey = client.frame(ApiKey.Metadata, 1, createMetadataRequest({ topics: null }));
  unknownKey.writeInt16BE(9999, 4);
  const oversized = Buffer.alloc(8);
  oversized.writeInt32BE(200 * 1024 * 1024);
  const lyingArray = client.frame(ApiKey.Metadata, 1, createMetadataRequest({ topics: [] }));
  lyingArray.writeInt32BE(1_000_000, lyingArray.length - 4);
  const inputs = [unknownKey, oversized, lyingArray];
  for (const [i, victim] of victims.entries()) {
    const closed = victim.nextFrame();
    victim.sendRaw(inputs[i]);
    assert.equal(await closed, null, `input ${i} closed its connection`);
  }
  const still = await client.request<MetadataResponse>(ApiKey.Metadata, 1, createMetadataRequest({ topics: null }));
  assert.ok(still.topics.length > 0, 'the other connection is still served');
});

test('topics, data and the cluster id survive a restart', async () => {
  await metadata('kept');
  await produce('kept', testBatch({ records: 4 }));
  const before = await metadata('kept', false);
  client.close();
  tb = await tb.restart();
  client = await WireClient.connect(tb.port);
  const after = await metadata('kept', false);
  assert.equal(after.clusterId, before.clusterId);
  assert.equal(after.topics[0].topicId, before.topics[0].topicId);
  assert.equal((await fetch('kept', 0)).responses[0].partitions[0].highWatermark, 4n);
});
