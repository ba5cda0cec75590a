// InitProducerId and idempotent Produce on the wire: a retried request gets the first offsets, a
// gap is OUT_OF_ORDER_SEQUENCE_NUMBER, and producer ids never repeat, even across restarts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ApiKey, createCreateTopicsRequest, createCreateTopicsRequestCreatableTopic, type CreateTopicsResponse, createInitProducerIdRequest, createProduceRequest, createProduceRequestPartitionProduceData, createProduceRequestTopicProduceData,
  ErrorCode, type InitProducerIdResponse, type ProduceResponse,
} from '@millrace/protocol';
import { testBatch } from '../../storage/src/test-batches.ts';
import { startTestBroker } from './test-support/test-broker.ts';
import { WireClient } from './test-support/wire-client.ts';

test('idempotent produce: retries are answered with their first offsets; gaps and unknown ids are refused; ids are unique across restarts', async () => {
  let tb = await startTestBroker();
  let client = await WireClient.connect(tb.port);
  const initProducerId = () => client.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, createInitProducerIdRequest({ transactionalId: null, transactionTimeoutMs: 60_000 }));
  const produce = (producerId: bigint, baseSequence: number) =>
    client.request<ProduceResponse>(ApiKey.Produce, 8, createProduceRequest({
      acks: -1, timeoutMs: 1000,
      topicData: [createProduceRequestTopicProduceData({ name: 'payments', partitionData: [createProduceRequestPartitionProduceData({ index: 0, records: testBatch({ records: 2, producerId: Number(producerId), producerEpoch: 0, baseSequence }) })] })],
    })).then((r) => r.responses[0].partitionResponses[0]);
  try {
    const created = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 4, createCreateTopicsRequest({
      topics: [createCreateTopicsRequestCreatableTopic({ name: 'payments', numPartitions: 1, replicationFactor: 1 })], timeoutMs: 5000,
    }));
    assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
    const first = await initProducerId();
    assert.equal(first.errorCode, ErrorCode.NONE);
    assert.equal(first.producerEpoch, 0);
    const second = await initProducerId();
    assert.notEqual(second.producerId, first.producerId);

    const pid = first.producerId;
    assert.equal((await produce(pid, 0)).baseOffset, 0n);
    assert.equal((await produce(pid, 2)).baseOffset, 2n);
    const retry = await produce(pid, 0);
    assert.deepEqual([retry.errorCode, retry.baseOffset], [ErrorCode.NONE, 0n], 'a retry is a success with the first offsets');
    assert.equal((await produce(pid, 8)).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal((await produce(second.producerId, 4)).errorCode, ErrorCode.UNKNOWN_PRODUCER_ID);
    assert.equal((await produce(pid, 4)).baseOffset, 4n, 'the refused batches took no offsets');


    client.close();
    tb = await tb.restart();
    client = await WireClient.connect(tb.port);
    assert.equal((await produce(pid, 4)).baseOffset, 4n, 'after a restart the last batch is still recognised as a retry');
    const afterRestart = await initProducerId();
    assert.ok(afterRestart.producerId > second.producerId, `ids keep growing across restarts (${afterRestart.producerId} after ${second.producerId})`);
  } finally {
    client.close();
    await tb.close();
  }
});
