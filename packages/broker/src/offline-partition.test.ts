// Restarts of an in-process broker: a clean shutdown leaves a marker that the next start consumes,
// and a partition whose log is found corrupt comes up offline (KAFKA_STORAGE_ERROR to every client)
// while the broker and its other partitions serve on, and nothing on disk is cut.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  ApiKey, createCreateTopicsRequest, createCreateTopicsRequestCreatableTopic, createFetchRequest, createFetchRequestFetchPartition,
  createFetchRequestFetchTopic, createListOffsetsRequest, createListOffsetsRequestListOffsetsPartition, createListOffsetsRequestListOffsetsTopic,
  createMetadataRequest, createMetadataRequestMetadataRequestTopic, createProduceRequest, createProduceRequestPartitionProduceData,
  createProduceRequestTopicProduceData, type CreateTopicsResponse, ErrorCode, type FetchResponse, type ListOffsetsResponse,
  type MetadataResponse, type ProduceResponse,
} from '@millrace/protocol';
import { testBatch } from '../../storage/src/test-batches.ts';
import { startTestBroker } from './test-support/test-broker.ts';
import { WireClient } from './test-support/wire-client.ts';

async function produce(client: WireClient, partition: number): Promise<number> {
  const response = await client.request<ProduceResponse>(ApiKey.Produce, 7, createProduceRequest({
    acks: -1, timeoutMs: 1000,
    topicData: [createProduceRequestTopicProduceData({ name: 'orders', partitionData: [createProduceRequestPartitionProduceData({ index: partition, records: testBatch({ records: 1, payloadBytes: 100 }) })] })],
  }));
  return response.responses[0].partitionResponses[0].errorCode;
}

async function fetchResult(client: WireClient, partition: number): Promise<{ errorCode: number; bytes: number }> {
  const response = await client.request<FetchResponse>(ApiKey.Fetch, 11, createFetchRequest({
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0,
    topics: [createFetchRequestFetchTopic({ topic: 'orders', partitions: [createFetchRequestFetchPartition({ partition, fetchOffset: 3n, partitionMaxBytes: 1 << 20 })] })],
  }));
  const p = response.responses[0].partitions[0];
  return { errorCode: p.errorCode, bytes: p.records?.length ?? 0 };
}

test('a clean shutdown leaves the marker; a corrupt partition comes up offline while the broker serves the rest', async () => {
  let tb = await startTestBroker();
  let client = await WireClient.connect(tb.port);
  const created = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 4, createCreateTopicsRequest({
    topics: [createCreateTopicsRequestCreatableTopic({ name: 'orders', numPartitions: 2, replicationFactor: 1 })], timeoutMs: 5000,
  }));
  assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
  for (let i = 0; i < 6; i++) for (const p of [0, 1]) assert.equal(await produce(client, p), ErrorCode.NONE);
  client.close();

  const marker = join(tb.dataDir, '.clean-shutdown');
  await tb.broker.stop();
  assert.ok(existsSync(marker), 'a clean stop writes the marker');
  tb = await startTestBroker({}, tb.dataDir);
  assert.ok(!existsSync(marker), 'a start consumes it before the logs change');
  await tb.broker.stop();

  // Bit rot in partition 0, in data a clean shutdown vouched for.
  const file = join(tb.dataDir, 'orders-0', '00000000000000000000.log');
  const damaged = readFileSync(file);
  damaged[damaged.length - 10] ^= 0xff;
  writeFileSync(file, damaged);
  tb = await startTestBroker({}, tb.dataDir);
  client = await WireClient.connect(tb.port);
  try {
    const metadata = await client.request<MetadataResponse>(ApiKey.Metadata, 9, createMetadataRequest({ topics: [createMetadataRequestMetadataRequestTopic({ name: 'orders' })] }));
    const partitions = metadata.topics[0].partitions.sort((a, b) => a.partitionIndex - b.partitionIndex);
    assert.deepEqual(partitions.map((p) => p.errorCode), [ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NONE]);
    assert.deepEqual(partitions[0].offlineReplicas, [tb.broker.state.identity.nodeId]);

    assert.equal(await produce(client, 0), ErrorCode.KAFKA_STORAGE_ERROR);
    assert.deepEqual(await fetchResult(client, 0), { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, bytes: 0 }, 'not OFFSET_OUT_OF_RANGE, which would make consumers reset');
    const offsets = await client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 5, createListOffsetsRequest({
      replicaId: -1, topics: [createListOffsetsRequestListOffsetsTopic({ name: 'orders', partitions: [createListOffsetsRequestListOffsetsPartition({ partitionIndex: 0, timestamp: -1n })] })],
    }));
    assert.equal(offsets.topics[0].partitions[0].errorCode, ErrorCode.KAFKA_STORAGE_ERROR);

    assert.equal(await produce(client, 1), ErrorCode.NONE, 'the healthy partition takes writes');
    const healthy = await fetchResult(client, 1);
    assert.equal(healthy.errorCode, ErrorCode.NONE);
    assert.ok(healthy.bytes > 0);
    assert.deepEqual(readFileSync(file), damaged, 'the damaged file is left as it was for the operator');
  } finally {
    client.close();
    await tb.close();
  }
});
