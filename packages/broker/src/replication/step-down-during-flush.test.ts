// A leader that loses a partition while a produce's append is being fsynced must not answer
// acks=all with success: the records are on its log alone, and it truncates them when it follows
// the new leader. (Seen when etcd came back after a pause: a broker resumed, appended the produce
// requests queued meanwhile, and took in its step-down during their flush; librdkafka, told its
// sequences were written, then met the new leader's OUT_OF_ORDER_SEQUENCE_NUMBER and failed fatally.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ApiKey, createInitProducerIdRequest, createProduceRequest, createProduceRequestPartitionProduceData, createProduceRequestTopicProduceData, errorName,
  type InitProducerIdResponse, type ProduceResponse,
} from '@millrace/protocol';
import { testBatch } from '../../../storage/src/test-batches.ts';
import { startEtcd, type EtcdServer } from '../../../cluster/src/test-support/etcd-server.ts';
import { startTestBroker, type TestBroker } from '../test-support/test-broker.ts';
import { waitFor } from '../test-support/wait-for.ts';
import { WireClient } from '../test-support/wire-client.ts';

let etcd: EtcdServer;
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd.stop();
});

/** Three records of producer `producerId` (epoch 0) from `baseSequence`, acks=all: the error and base offset. */
async function produce(client: WireClient, producerId: bigint, baseSequence: number): Promise<string> {
  const response = await client.request<ProduceResponse>(ApiKey.Produce, 8, createProduceRequest({
    acks: -1, timeoutMs: 10_000,
    topicData: [createProduceRequestTopicProduceData({ name: 'stepping', partitionData: [createProduceRequestPartitionProduceData({
      index: 0, records: testBatch({ records: 3, producerId: Number(producerId), producerEpoch: 0, baseSequence }),
    })] })],
  }));
  const p = response.responses[0].partitionResponses[0];
  return `${errorName(p.errorCode)} ${p.baseOffset}`;
}

test('acks=all records whose leader steps down while they are fsynced are answered NOT_LEADER_OR_FOLLOWER, and the producer\'s retry is written at the new leader', async () => {
  const settings = (id: number) => ({ 'node.id': String(id), 'etcd.endpoints': etcd.endpoint, 'cluster.name': 'step-down', 'min.insync.replicas': '1' });
  const first = await startTestBroker(settings(1));
  let second: TestBroker | null = null;
  const clients: WireClient[] = [];
  try {
    // Broker 2 is the preferred leader, but not there yet: broker 1 leads.
    const node = first.broker.state.cluster!;
    await node.topics.createTopic('stepping', 1, 2, {}, [[2, 1]]);
    const partition = () => first.broker.state.topics.partition('stepping', 0);
    await waitFor('broker 1 leading', () => partition()?.role === 'leader');
    second = await startTestBroker(settings(2));
    await waitFor('broker 2 in the ISR', () => partition()?.replication?.isr.length === 2);
    const c1 = await WireClient.connect(first.port);
    clients.push(c1);
    const { producerId } = await c1.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, createInitProducerIdRequest({ transactionalId: null, transactionTimeoutMs: 60_000 }));
    assert.equal(await produce(c1, producerId, 0), 'NONE 0');

    // The next flush of broker 1's log does not finish before broker 1 has followed broker 2.
    const log = partition()!.log;
    const flush = log.flush.bind(log);
    let armed = true;
    log.flush = async () => {
      if (!armed) return flush();
      armed = false;
      const results = await node.topics.electLeaders('preferred', [{ topic: 'stepping', index: 0 }]);
      assert.equal(results.get('stepping/0'), 0);
      await waitFor('broker 1 following', () => partition()?.role === 'follower');
      return flush();
    };
    assert.equal(await produce(c1, producerId, 3), 'NOT_LEADER_OR_FOLLOWER -1');

    // The producer sends the batch again, to the new leader, which takes it at the same sequence.
    await waitFor('broker 2 leading', () => second!.broker.state.topics.partition('stepping', 0)?.role === 'leader');
    const c2 = await WireClient.connect(second.port);
    clients.push(c2);
    assert.equal(await produce(c2, producerId, 3), 'NONE 3');
    await waitFor('broker 1 back in line with broker 2', () => partition()?.log.logEndOffset === 6);
  } finally {
    for (const c of clients) c.close();
    await second?.close();
    await first.close();
  }
});
