// An idempotent producer's batch refused with NOT_ENOUGH_REPLICAS leaves a gap before its next
// one. When the ISR recovers before that next batch arrives, the next batch gets the same
// retriable error, not OUT_OF_ORDER_SEQUENCE_NUMBER (fatal for librdkafka before 2.3), and once the
// refused batch is sent again both are written in order.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { errorName } from '@millrace/protocol';
import { startEtcd, type EtcdServer } from '../../../cluster/src/test-support/etcd-server.ts';
import { idempotentProducer } from '../test-support/idempotent-produce.ts';
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

test('a batch after one refused for a small ISR gets NOT_ENOUGH_REPLICAS too, even once the ISR is back, until the refused one is written', async () => {
  const settings = (id: number) => ({ 'node.id': String(id), 'etcd.endpoints': etcd.endpoint, 'cluster.name': 'gap' });
  const leader = await startTestBroker(settings(1));
  let follower: TestBroker | null = null;
  let client: WireClient | null = null;
  try {
    follower = await startTestBroker(settings(2));
    const node = leader.broker.state.cluster!;
    const assignment = await node.topics.createTopic('gappy', 1, 2, { 'min.insync.replicas': '2' }, [[1, 2]]);
    const partition = () => leader.broker.state.topics.partition('gappy', 0);
    const isr = () => node.view.partition(assignment.id, 0)?.state.isr.join() ?? '';
    await waitFor('broker 1 leading with both in the ISR', () => partition()?.role === 'leader' && partition()?.replication?.isr.length === 2);
    client = await WireClient.connect(leader.port);
    const c = client;
    const send = await idempotentProducer(c, 'gappy', 0);
    const produce = async (baseSequence: number) => {
      const p = await send(baseSequence);
      return `${errorName(p.errorCode)} ${p.baseOffset}`;
    };
    assert.equal(await produce(0), 'NONE 0');
    await follower.broker.stop();
    await waitFor('broker 2 out of the ISR', () => isr() === '1' && partition()?.replication?.isr.length === 1);
    assert.equal(await produce(3), 'NOT_ENOUGH_REPLICAS -1');
    follower = await follower.restart();
    await waitFor('broker 2 back in the ISR', () => partition()?.replication?.isr.length === 2);
    assert.equal(await produce(6), 'NOT_ENOUGH_REPLICAS -1', 'the gap is the refused batch\'s');
    assert.equal(await produce(3), 'NONE 3');
    assert.equal(await produce(6), 'NONE 6');
    assert.equal(await produce(12), 'OUT_OF_ORDER_SEQUENCE_NUMBER -1', 'a gap of the producer\'s own making is still one');
  } finally {
    client?.close();
    await follower?.close();
    await leader.close();
  }
});
