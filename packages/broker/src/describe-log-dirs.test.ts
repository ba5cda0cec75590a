// DescribeLogDirs as kafka-log-dirs.sh and the consoles that show topic sizes send it: every
// partition's size in the one log directory (the data directory), the disk's size and free space
// from v4, and a named topic or partition the broker does not have left out.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ApiKey, createCreateTopicsRequest, createCreateTopicsRequestCreatableTopic, createDescribeLogDirsRequest, createDescribeLogDirsRequestDescribableLogDirTopic,
  createProduceRequest, createProduceRequestPartitionProduceData, createProduceRequestTopicProduceData, type DescribeLogDirsResponse, ErrorCode, type ProduceResponse,
} from '@millrace/protocol';
import { testBatch } from '../../storage/src/test-batches.ts';
import { startTestBroker, type TestBroker } from './test-support/test-broker.ts';
import { WireClient } from './test-support/wire-client.ts';

let broker: TestBroker;
let client: WireClient;

const sizes = (r: DescribeLogDirsResponse) =>
  Object.fromEntries(r.results[0].topics.flatMap((t) => t.partitions.map((p) => [`${t.name}-${p.partitionIndex}`, Number(p.partitionSize)])));

before(async () => {
  broker = await startTestBroker();
  client = await WireClient.connect(broker.port);
  await client.request(ApiKey.CreateTopics, 5, createCreateTopicsRequest({
    timeoutMs: 5000,
    topics: [createCreateTopicsRequestCreatableTopic({ name: 'sized', numPartitions: 2, replicationFactor: 1 }), createCreateTopicsRequestCreatableTopic({ name: 'other', numPartitions: 1, replicationFactor: 1 })],
  }));
  const produced = await client.request<ProduceResponse>(ApiKey.Produce, 8, createProduceRequest({
    acks: -1, timeoutMs: 5000,
    topicData: [createProduceRequestTopicProduceData({ name: 'sized', partitionData: [createProduceRequestPartitionProduceData({ index: 1, records: testBatch({ records: 3, payloadBytes: 1000 }) })] })],
  }));
  assert.equal(produced.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
});

after(async () => {
  client?.close();
  await broker?.close();
});

test('every partition is listed with its size in bytes in the data directory, with the disk\'s size and free space', async () => {
  const r = await client.request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, 4, createDescribeLogDirsRequest({ topics: null }));
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(r.results.length, 1);
  assert.equal(r.results[0].logDir, broker.dataDir);
  assert.equal(r.results[0].errorCode, ErrorCode.NONE);
  const listed = sizes(r);
  assert.equal(listed['sized-0'], 0);
  assert.equal(listed['sized-1'], broker.broker.state.topics.partition('sized', 1)!.log.sizeInBytes);
  assert.ok(listed['sized-1'] > 1000, `a batch of 1000 bytes in ${listed['sized-1']} bytes`);
  assert.equal(listed['other-0'], 0);
  assert.ok(r.results[0].totalBytes > 0n && r.results[0].usableBytes > 0n && r.results[0].usableBytes <= r.results[0].totalBytes);
  assert.ok(r.results[0].topics.every((t) => t.partitions.every((p) => p.offsetLag === 0n && !p.isFutureKey)));
});

test('named topics and partitions only; those the broker does not have are left out; v0 has no disk sizes', async () => {
  const r = await client.request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, 0, createDescribeLogDirsRequest({
    topics: [
      createDescribeLogDirsRequestDescribableLogDirTopic({ topic: 'sized', partitions: [1, 7] }),
      createDescribeLogDirsRequestDescribableLogDirTopic({ topic: 'missing', partitions: [0] }),
    ],
  }));
  assert.deepEqual(Object.keys(sizes(r)), ['sized-1']);
  assert.equal(r.results[0].totalBytes, -1n, 'not in v0');
});
