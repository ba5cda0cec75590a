// A producer learns of a new leader from the metadata (any broker's), often before the new leader
// has finished taking its partitions over. What it sends in that moment must be written, not
// refused: a pipelining idempotent producer whose first batch is refused and whose next is taken
// would see a sequence gap (librdkafka before 2.3 fails fatally on it).
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

const PARTITIONS = 60;

test('pipelined batches sent to a broker the metadata has just made leader wait for it to take the leadership over, and are written in order', async () => {
  const settings = (id: number) => ({ 'node.id': String(id), 'etcd.endpoints': etcd.endpoint, 'cluster.name': 'handover', 'min.insync.replicas': '1' });
  const first = await startTestBroker(settings(1));
  let second: TestBroker | null = null;
  let client: WireClient | null = null;
  try {
    second = await startTestBroker(settings(2));
    const node = second.broker.state.cluster!;
    const assignment = await node.topics.createTopic('handover', PARTITIONS, 2, {}, Array.from({ length: PARTITIONS }, () => [1, 2]));
    await waitFor('broker 2 following every partition', () => second!.broker.state.topics.getById(assignment.id)?.partitions.every((p) => p.role === 'follower') ?? false);
    client = await WireClient.connect(second.port);
    const c = client;
    const last = PARTITIONS - 1;
    const produce = await idempotentProducer(c, 'handover', last);
    // An idempotent producer's two pipelined batches, sent the moment broker 2's metadata makes it
    // the leader of the last partition: broker 2 is then still taking over the partitions before it
    // (each records its new epoch durably).
    const answered = new Promise<{ results: { errorCode: number; baseOffset: bigint }[]; roleWhenSent: string }>((resolve, reject) => {
      let sent = false;
      node.subscribe(() => {
        if (sent || node.view.partition(assignment.id, last)?.state.leader !== 2) return;
        sent = true;
        const roleWhenSent = second!.broker.state.topics.partition('handover', last)!.role;
        Promise.all([produce(0), produce(3)]).then((results) => resolve({ results, roleWhenSent }), reject);
      });
    });
    await first.broker.stop();
    const { results, roleWhenSent } = await answered;
    assert.equal(roleWhenSent, 'follower', 'the batches were sent before broker 2 took the partition over');
    assert.deepEqual(results.map((r) => [errorName(r.errorCode), r.baseOffset]), [['NONE', 0n], ['NONE', 3n]]);
    assert.equal(second.broker.state.topics.partition('handover', last)!.log.logEndOffset, 6);
  } finally {
    client?.close();
    await second?.close();
    await first.close();
  }
});
