// Retention against an in-process broker: old segments go, consumers behind them get
// OFFSET_OUT_OF_RANGE, and ListOffsets reports the new earliest offset.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ApiKey, createCreateTopicsRequest, createCreateTopicsRequestCreatableTopic, createCreateTopicsRequestCreatableTopicConfig,
  createFetchRequest, createFetchRequestFetchPartition, createFetchRequestFetchTopic, createListOffsetsRequest,
  createListOffsetsRequestListOffsetsPartition, createListOffsetsRequestListOffsetsTopic, createProduceRequest,
  createProduceRequestPartitionProduceData, createProduceRequestTopicProduceData, type CreateTopicsResponse, ErrorCode,
  type FetchResponse, type ListOffsetsResponse, type ProduceResponse, encodeRecordBatch,
} from '@millrace/protocol';
import { startTestBroker, type TestBroker } from './test-support/test-broker.ts';
import { WireClient } from './test-support/wire-client.ts';
import { waitFor as waitUntil } from './test-support/wait-for.ts';

const waitFor = (what: string, done: () => Promise<boolean>) => waitUntil(what, done, 10_000, 25);

let tb: TestBroker;
let client: WireClient;

before(async () => {
  tb = await startTestBroker({ 'log.retention.check.interval.ms': '50' });
  client = await WireClient.connect(tb.port);
});

after(async () => {
  client.close();
  await tb.close();
});

async function createTopic(name: string, configs: Record<string, string>): Promise<void> {
  const response = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 4, createCreateTopicsRequest({
    topics: [createCreateTopicsRequestCreatableTopic({
      name, numPartitions: 1, replicationFactor: 1,
      configs: Object.entries(configs).map(([n, value]) => createCreateTopicsRequestCreatableTopicConfig({ name: n, value })),
    })],
    timeoutMs: 5000,
  }));
  assert.equal(response.topics[0].errorCode, 0);
}

async function produce(topic: string, maxTimestamp: number): Promise<void> {
  const response = await client.request<ProduceResponse>(ApiKey.Produce, 7, createProduceRequest({
    acks: -1, timeoutMs: 1000,
    topicData: [createProduceRequestTopicProduceData({ name: topic, partitionData: [createProduceRequestPartitionProduceData({ index: 0, records: encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.alloc(200, 1), timestamp: maxTimestamp }] }) })] })],
  }));
  assert.equal(response.responses[0].partitionResponses[0].errorCode, 0);
}

async function earliest(topic: string): Promise<bigint> {
  const response = await client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 5, createListOffsetsRequest({
    replicaId: -1, topics: [createListOffsetsRequestListOffsetsTopic({ name: topic, partitions: [createListOffsetsRequestListOffsetsPartition({ partitionIndex: 0, timestamp: -2n })] })],
  }));
  return response.topics[0].partitions[0].offset;
}

async function fetchError(topic: string, offset: bigint): Promise<number> {
  const response = await client.request<FetchResponse>(ApiKey.Fetch, 11, createFetchRequest({
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20,
    topics: [createFetchRequestFetchTopic({ topic, partitions: [createFetchRequestFetchPartition({ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 })] })],
  }));
  return response.responses[0].partitions[0].errorCode;
}


test('retention.ms deletes old segments; a consumer behind them gets OFFSET_OUT_OF_RANGE', async () => {
  await createTopic('aging', { 'retention.ms': '60000', 'segment.bytes': '300' });
  const now = Date.now();
  for (let i = 0; i < 4; i++) await produce('aging', now - 3_600_000);
  for (let i = 0; i < 2; i++) await produce('aging', now);
  await waitFor('the old segments to go', async () => (await earliest('aging')) === 4n);
  assert.equal(await fetchError('aging', 0n), ErrorCode.OFFSET_OUT_OF_RANGE);
  assert.equal(await fetchError('aging', 4n), ErrorCode.NONE);
});

test('retention.bytes keeps the newest segments; compacted topics are left to compaction', async () => {
  await createTopic('bounded', { 'retention.bytes': '600', 'segment.bytes': '300' });
  await createTopic('compacted', { 'cleanup.policy': 'compact', 'retention.ms': '1', 'segment.bytes': '300' });
  for (let i = 0; i < 6; i++) {
    await produce('bounded', Date.now());
    await produce('compacted', 1);
  }
  await waitFor('the log to shrink to retention.bytes', async () => (await earliest('bounded')) >= 3n);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await earliest('compacted'), 0n);
});
