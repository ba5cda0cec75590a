// The transaction APIs on the wire against an in-process broker: epochs and fencing, the last
// stable offset seen by READ_COMMITTED fetches, the admin views, and a transaction that a crash
// left prepared being completed by the next start.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ApiKey, type AddOffsetsToTxnResponse, createAddOffsetsToTxnRequest, createOffsetFetchRequest, createOffsetFetchRequestOffsetFetchRequestTopic,
  createTxnOffsetCommitRequest, createTxnOffsetCommitRequestTxnOffsetCommitRequestPartition, createTxnOffsetCommitRequestTxnOffsetCommitRequestTopic,
  type OffsetFetchResponse, type TxnOffsetCommitResponse, createAddPartitionsToTxnRequest, createAddPartitionsToTxnRequestAddPartitionsToTxnTopic, createCreateTopicsRequest,
  createCreateTopicsRequestCreatableTopic, createDescribeProducersRequest, createDescribeProducersRequestTopicRequest,
  createDescribeTransactionsRequest, createEndTxnRequest, createFetchRequest, createFetchRequestFetchPartition, createFetchRequestFetchTopic,
  createInitProducerIdRequest, createListTransactionsRequest, createProduceRequest, createProduceRequestPartitionProduceData,
  createProduceRequestTopicProduceData, encodeRecordBatch, type AddPartitionsToTxnResponse, type CreateTopicsResponse,
  type DescribeProducersResponse, type DescribeTransactionsResponse, type EndTxnResponse, ErrorCode, type FetchResponse,
  type InitProducerIdResponse, type ListTransactionsResponse, type ProduceResponse,
} from '@millrace/protocol';
import { testBatch } from '../../../storage/src/test-batches.ts';
import { internalPartitionIndex } from '../metadata/internal-topics.ts';
import { startTestBroker, type TestBroker } from '../test-support/test-broker.ts';
import { WireClient } from '../test-support/wire-client.ts';
import { TXN_TOPIC } from './txn-coordinator.ts';
import { encodeTxnKey, encodeTxnValue, partitionKey, TxnStatus } from './txn-records.ts';

class TxnClient {
  readonly client: WireClient;
  constructor(client: WireClient) {
    this.client = client;
  }

  init(id: string) {
    return this.client.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, createInitProducerIdRequest({ transactionalId: id, transactionTimeoutMs: 60_000 }));
  }

  async addPartition(id: string, producerId: bigint, epoch: number): Promise<number> {
    const response = await this.client.request<AddPartitionsToTxnResponse>(ApiKey.AddPartitionsToTxn, 3, createAddPartitionsToTxnRequest({
      v3AndBelowTransactionalId: id, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: epoch,
      v3AndBelowTopics: [createAddPartitionsToTxnRequestAddPartitionsToTxnTopic({ name: 'ledger', partitions: [0] })],
    }));
    return response.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode;
  }

  async produce(producerId: bigint, epoch: number, baseSequence: number): Promise<number> {
    const response = await this.client.request<ProduceResponse>(ApiKey.Produce, 8, createProduceRequest({
      transactionalId: 'ledger-tx', acks: -1, timeoutMs: 1000,
      topicData: [createProduceRequestTopicProduceData({ name: 'ledger', partitionData: [createProduceRequestPartitionProduceData({ index: 0, records: testBatch({ records: 3, producerId: Number(producerId), producerEpoch: epoch, baseSequence, transactional: true }) })] })],
    }));
    return response.responses[0].partitionResponses[0].errorCode;
  }

  async end(id: string, producerId: bigint, epoch: number, committed: boolean): Promise<number> {
    return (await this.client.request<EndTxnResponse>(ApiKey.EndTxn, 3, createEndTxnRequest({ transactionalId: id, producerId, producerEpoch: epoch, committed }))).errorCode;
  }

  /** What a consumer at `isolationLevel` reads from offset 0: how many bytes, and the partition's last stable offset. */
  async fetch(isolationLevel: number): Promise<{ bytes: number; lastStableOffset: bigint; highWatermark: bigint }> {
    const response = await this.client.request<FetchResponse>(ApiKey.Fetch, 11, createFetchRequest({
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel,
      topics: [createFetchRequestFetchTopic({ topic: 'ledger', partitions: [createFetchRequestFetchPartition({ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 })] })],
    }));
    const p = response.responses[0].partitions[0];
    return { bytes: p.records?.length ?? 0, lastStableOffset: p.lastStableOffset, highWatermark: p.highWatermark };
  }
}

const READ_UNCOMMITTED = 0;
const READ_COMMITTED = 1;

async function withBroker(body: (tb: TestBroker, txn: TxnClient) => Promise<TestBroker>): Promise<void> {
  let tb = await startTestBroker({ 'transaction.state.log.num.partitions': '3' });
  const client = await WireClient.connect(tb.port);
  try {
    const created = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 4, createCreateTopicsRequest({
      topics: [createCreateTopicsRequestCreatableTopic({ name: 'ledger', numPartitions: 1, replicationFactor: 1 })], timeoutMs: 5000,
    }));
    assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
    tb = await body(tb, new TxnClient(client));
  } finally {
    client.close();
    await tb.close();
  }
}

test('a transaction holds the last stable offset until its commit; epochs fence older producers; admin APIs describe it', async () => {
  await withBroker(async (tb, txn) => {
    const first = await txn.init('ledger-tx');
    assert.deepEqual([first.errorCode, first.producerEpoch], [ErrorCode.NONE, 0]);
    const again = await txn.init('ledger-tx');
    assert.deepEqual([again.producerId, again.producerEpoch], [first.producerId, 1], 'same id, bumped epoch');
    const pid = again.producerId;
    assert.equal(await txn.addPartition('ledger-tx', pid, 0), ErrorCode.PRODUCER_FENCED);
    assert.equal(await txn.end('ledger-tx', pid, 1, true), ErrorCode.INVALID_TXN_STATE, 'nothing to commit yet');

    assert.equal(await txn.addPartition('ledger-tx', pid, 1), ErrorCode.NONE);
    assert.equal(await txn.produce(pid, 1, 0), ErrorCode.NONE);
    assert.deepEqual(await txn.fetch(READ_COMMITTED), { bytes: 0, lastStableOffset: 0n, highWatermark: 3n });
    assert.ok((await txn.fetch(READ_UNCOMMITTED)).bytes > 0);

    const described = await txn.client.request<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, createDescribeTransactionsRequest({ transactionalIds: ['ledger-tx', 'nobody'] }));
    assert.deepEqual(described.transactionStates.map((s) => [s.transactionalId, s.errorCode, s.transactionState]), [['ledger-tx', 0, 'Ongoing'], ['nobody', ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, '']]);
    assert.deepEqual(described.transactionStates[0].topics.map((t) => [t.topic, t.partitions]), [['ledger', [0]]]);
    const listed = await txn.client.request<ListTransactionsResponse>(ApiKey.ListTransactions, 1, createListTransactionsRequest({ stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [], durationFilter: -1n }));
    assert.deepEqual(listed.transactionStates.map((s) => s.transactionalId), ['ledger-tx']);
    assert.deepEqual(listed.unknownStateFilters, ['Bogus']);
    const producers = await txn.client.request<DescribeProducersResponse>(ApiKey.DescribeProducers, 0, createDescribeProducersRequest({ topics: [createDescribeProducersRequestTopicRequest({ name: 'ledger', partitionIndexes: [0] })] }));
    assert.deepEqual(producers.topics[0].partitions[0].activeProducers.map((p) => [p.producerId, p.producerEpoch, p.lastSequence, p.currentTxnStartOffset]), [[pid, 1, 2, 0n]]);

    assert.equal(await txn.end('ledger-tx', pid, 1, true), ErrorCode.NONE);
    assert.equal(await txn.end('ledger-tx', pid, 1, true), ErrorCode.NONE, 'a retried commit succeeds');
    assert.equal(await txn.end('ledger-tx', pid, 1, false), ErrorCode.INVALID_TXN_STATE);
    const committed = await txn.fetch(READ_COMMITTED);
    assert.deepEqual([committed.lastStableOffset, committed.highWatermark], [4n, 4n], 'the commit marker took offset 3');
    assert.ok(committed.bytes > 0);
    return tb;
  });
});

test('a transaction a crash left in PrepareCommit is completed by the next start', async () => {
  await withBroker(async (tb, txn) => {
    const { producerId: pid, producerEpoch: epoch } = await txn.init('ledger-tx');
    assert.equal(await txn.addPartition('ledger-tx', pid, epoch), ErrorCode.NONE);
    assert.equal(await txn.produce(pid, epoch, 0), ErrorCode.NONE);
    // What a crash between "PrepareCommit is durable" and "the markers are written" leaves behind.
    const stateLog = tb.broker.state.topics.partition(TXN_TOPIC, internalPartitionIndex('ledger-tx', 3))!.log;
    stateLog.append(encodeRecordBatch({ records: [{
      key: encodeTxnKey('ledger-tx'),
      value: encodeTxnValue({ transactionalId: 'ledger-tx', producerId: Number(pid), producerEpoch: epoch, timeoutMs: 60_000, status: TxnStatus.PREPARE_COMMIT, partitions: new Set([partitionKey('ledger', 0)]), lastUpdateMs: Date.now(), startMs: Date.now() }),
      timestamp: Date.now(),
    }] }), 0, null);
    await stateLog.flush();
    assert.equal((await txn.fetch(READ_COMMITTED)).lastStableOffset, 0n);
    txn.client.close();
    const restarted = await tb.restart();
    const client = new TxnClient(await WireClient.connect(restarted.port));
    try {
      const after = await client.fetch(READ_COMMITTED);
      assert.deepEqual([after.lastStableOffset, after.highWatermark], [4n, 4n], 'the commit marker was written at start');
      assert.ok(after.bytes > 0);
      assert.equal(restarted.broker.state.transactions.describe('ledger-tx')?.status, TxnStatus.COMPLETE_COMMIT);
    } finally {
      client.client.close();
    }
    return restarted;
  });
});

test('offsets committed in a transaction appear when it commits; until then require_stable fetches get UNSTABLE_OFFSET_COMMIT', async () => {
  await withBroker(async (tb, txn) => {
    const { producerId: pid, producerEpoch: epoch } = await txn.init('ledger-tx');
    const added = await txn.client.request<AddOffsetsToTxnResponse>(ApiKey.AddOffsetsToTxn, 3, createAddOffsetsToTxnRequest({ transactionalId: 'ledger-tx', producerId: pid, producerEpoch: epoch, groupId: 'billing' }));
    assert.equal(added.errorCode, ErrorCode.NONE);
    const commit = await txn.client.request<TxnOffsetCommitResponse>(ApiKey.TxnOffsetCommit, 3, createTxnOffsetCommitRequest({
      transactionalId: 'ledger-tx', groupId: 'billing', producerId: pid, producerEpoch: epoch, generationId: -1, memberId: '', groupInstanceId: null,
      topics: [createTxnOffsetCommitRequestTxnOffsetCommitRequestTopic({ name: 'ledger', partitions: [createTxnOffsetCommitRequestTxnOffsetCommitRequestPartition({ partitionIndex: 0, committedOffset: 42n, committedMetadata: '' })] })],
    }));
    assert.equal(commit.topics[0].partitions[0].errorCode, ErrorCode.NONE);
    const fetchOffset = async (requireStable: boolean) => {
      const response = await txn.client.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, createOffsetFetchRequest({
        groupId: 'billing', requireStable, topics: [createOffsetFetchRequestOffsetFetchRequestTopic({ name: 'ledger', partitionIndexes: [0] })],
      }));
      const p = response.topics[0].partitions[0];
      return [p.errorCode, p.committedOffset];
    };
    assert.deepEqual(await fetchOffset(true), [ErrorCode.UNSTABLE_OFFSET_COMMIT, -1n]);
    assert.deepEqual(await fetchOffset(false), [ErrorCode.NONE, -1n], 'not visible before the commit');
    assert.equal(await txn.end('ledger-tx', pid, epoch, true), ErrorCode.NONE);
    assert.deepEqual(await fetchOffset(true), [ErrorCode.NONE, 42n]);
    return tb;
  });
});
