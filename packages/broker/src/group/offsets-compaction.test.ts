// __consumer_offsets is a compacted topic like any other: hundreds of commits of the same group
// and partition shrink to the newest one, and a restarted broker still answers OffsetFetch with it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ApiKey, createCreateTopicsRequest, createCreateTopicsRequestCreatableTopic, createOffsetCommitRequest,
  createOffsetCommitRequestOffsetCommitRequestPartition, createOffsetCommitRequestOffsetCommitRequestTopic, createOffsetFetchRequest,
  createOffsetFetchRequestOffsetFetchRequestTopic, type CreateTopicsResponse, ErrorCode, type OffsetCommitResponse, type OffsetFetchResponse,
} from '@millrace/protocol';
import { startTestBroker } from '../test-support/test-broker.ts';
import { waitFor } from '../test-support/wait-for.ts';
import { WireClient } from '../test-support/wire-client.ts';

const SETTINGS = { 'offsets.topic.num.partitions': '1', 'offsets.topic.segment.bytes': '4096', 'log.cleaner.backoff.ms': '50' };

test('commits in __consumer_offsets are compacted to the newest per group and partition', async () => {
  let tb = await startTestBroker(SETTINGS);
  let client = await WireClient.connect(tb.port);
  const commit = (offset: number) =>
    client.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 7, createOffsetCommitRequest({
      groupId: 'billing', generationIdOrMemberEpoch: -1, memberId: '',
      topics: [createOffsetCommitRequestOffsetCommitRequestTopic({ name: 'invoices', partitions: [0, 1].map((p) => createOffsetCommitRequestOffsetCommitRequestPartition({ partitionIndex: p, committedOffset: BigInt(offset + p), committedMetadata: 'm' })) })],
    })).then((r) => r.topics[0].partitions.map((p) => p.errorCode));
  const fetched = () =>
    client.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 5, createOffsetFetchRequest({
      groupId: 'billing', topics: [createOffsetFetchRequestOffsetFetchRequestTopic({ name: 'invoices', partitionIndexes: [0, 1] })],
    })).then((r) => r.topics[0].partitions.map((p) => Number(p.committedOffset)));
  try {
    const created = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 4, createCreateTopicsRequest({
      topics: [createCreateTopicsRequestCreatableTopic({ name: 'invoices', numPartitions: 2, replicationFactor: 1 })], timeoutMs: 5000,
    }));
    assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
    for (let i = 1; i <= 400; i++) assert.deepEqual(await commit(i * 10), [ErrorCode.NONE, ErrorCode.NONE]);
    const log = tb.broker.state.topics.partition('__consumer_offsets', 0)!.log;
    const written = log.logEndOffset;
    assert.equal(written, 800);
    await waitFor('the cleaner to compact __consumer_offsets', () => log.sizeInBytes < 8192, 20_000, 50);
    assert.deepEqual(await fetched(), [4000, 4001]);

    client.close();
    tb = await tb.restart();
    client = await WireClient.connect(tb.port);
    assert.deepEqual(await fetched(), [4000, 4001], 'the newest commits survive compaction and a restart');
    assert.equal(tb.broker.state.topics.partition('__consumer_offsets', 0)!.log.logEndOffset, written, 'offsets keep their numbering');
    assert.deepEqual(await commit(5000), [ErrorCode.NONE, ErrorCode.NONE]);
    assert.deepEqual(await fetched(), [5000, 5001]);
  } finally {
    client.close();
    await tb.close();
  }
});
