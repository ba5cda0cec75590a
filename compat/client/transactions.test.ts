// The Millrace TypeScript producer's transactions against a real broker process: committed
// transactions are seen whole and aborted ones never by read_committed readers (kcat, KafkaJS and
// our consumer); a consume-transform-produce loop with sendOffsets processes every input exactly
// once across an abort; a newer producer with the same transactional id fences the older one and
// its open transaction is aborted; misuse fails with a clear error.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import { Admin, ClientError, Consumer, KafkaError, Producer } from '../../packages/client/src/index.ts';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { readValuesWithKcat } from '../harness/kcat.ts';

let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ args: ['--set', 'num.partitions=3', '--set', 'group.initial.rebalance.delay.ms=0'] });
});

after(async () => {
  await broker?.dispose();
});

function producer(transactionalId: string): Producer {
  return new Producer({ brokers: [broker.bootstrap], transactionalId });
}

const values = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

test('committed transactions are read whole by kcat, KafkaJS and our read_committed consumer; aborted ones only by read_uncommitted', { timeout: 90_000 }, async () => {
  const topic = 'txn-visibility';
  const p = producer('visibility');
  for (const [prefix, commit] of [['c1-', true], ['a-', false], ['c2-', true]] as const) {
    await p.beginTransaction();
    const sent = p.send(topic, values(prefix, 30).map((value, i) => ({ key: `k${i}`, value })));
    if (commit) {
      await p.commitTransaction();
      assert.equal((await sent).length, 30);
    } else {
      await sent;
      await p.abortTransaction();
    }
  }
  await p.close();
  const committed = [...values('c1-', 30), ...values('c2-', 30)].sort();
  assert.deepEqual(await readValuesWithKcat(broker.bootstrap, topic, 'read_committed'), committed);
  assert.deepEqual(await readValuesWithKcat(broker.bootstrap, topic, 'read_uncommitted'), [...committed, ...values('a-', 30)].sort());

  const kafka = new kafkajs.Kafka({ clientId: 'txn-reader', brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const kjs = kafka.consumer({ groupId: 'txn-kafkajs-reader' });
  await kjs.connect();
  await kjs.subscribe({ topic, fromBeginning: true });
  const seenByKafkajs: string[] = [];
  await kjs.run({ eachMessage: async ({ message }) => void seenByKafkajs.push(message.value!.toString()) });
  const deadline = Date.now() + 30_000;
  while (seenByKafkajs.length < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500));
  await kjs.disconnect();
  assert.deepEqual(seenByKafkajs.sort(), committed);

  const ours = new Consumer({ brokers: [broker.bootstrap], isolation: 'read_committed', autoOffsetReset: 'earliest' });
  ours.assign([0, 1, 2].map((partition) => ({ topic, partition })));
  const seenByOurs: string[] = [];
  for await (const r of ours.records()) {
    seenByOurs.push(r.value!.toString());
    if (seenByOurs.length === 60) break;
  }
  await ours.close();
  assert.deepEqual(seenByOurs.sort(), committed);
});

test('consume-transform-produce with sendOffsets: every input is output exactly once, across an aborted round', { timeout: 120_000 }, async () => {
  const input = 'eos-in';
  const output = 'eos-out';
  const seed = new Producer({ brokers: [broker.bootstrap] });
  await seed.send(input, values('in-', 300).map((value, i) => ({ key: `k${i}`, value })));
  await seed.close();

  // Two rounds: the first processes a batch and aborts (its output and offsets must vanish), the rest commit.
  const runPipeline = async (abortFirst: boolean, until: (done: number) => boolean) => {
    const consumer = new Consumer({ brokers: [broker.bootstrap], groupId: 'eos-group', autoCommit: false, autoOffsetReset: 'earliest', isolation: 'read_committed' });
    const p = producer('eos-pipeline');
    consumer.subscribe([input]);
    let done = 0;
    let aborted = !abortFirst;
    for await (const batch of consumer.batches()) {
      await p.beginTransaction();
      await p.send(output, batch.records.map((r) => ({ key: r.key, value: `out-${r.value!.toString()}` })));
      await p.sendOffsets([{ topic: batch.topic, partition: batch.partition, offset: batch.records.at(-1)!.offset + 1 }], consumer.groupMetadata());
      if (!aborted) {
        aborted = true;
        await p.abortTransaction();
        // The consumer goes back to where the group's committed offsets say.
        const [committed] = await consumer.committed([{ topic: batch.topic, partition: batch.partition }]);
        consumer.seek({ topic: batch.topic, partition: batch.partition, offset: Math.max(committed.offset, batch.records[0].offset) });
        continue;
      }
      await p.commitTransaction();
      done += batch.records.length;
      if (until(done)) break;
    }
    await p.close();
    await consumer.close();
    return done;
  };
  const first = await runPipeline(true, (done) => done >= 100);
  await runPipeline(false, (done) => first + done >= 300);

  const out = await readValuesWithKcat(broker.bootstrap, output, 'read_committed');
  assert.equal(out.length, 300, `${out.length} outputs for 300 inputs`);
  assert.deepEqual(out, values('in-', 300).map((v) => `out-${v}`).sort());
  const admin = new Admin({ brokers: [broker.bootstrap] });
  try {
    const offsets = await admin.fetchOffsets('eos-group');
    assert.equal(offsets.filter((o) => o.topic === input).reduce((n, o) => n + o.offset, 0), 300, 'the committed offsets cover every input');
  } finally {
    await admin.close();
  }
});

test('a newer producer with the same transactional id fences the older one; its open transaction is aborted', { timeout: 60_000 }, async () => {
  const topic = 'txn-fencing';
  const zombie = producer('fenced-id');
  await zombie.beginTransaction();
  await zombie.send(topic, [{ value: 'from-zombie' }]);
  const successor = producer('fenced-id');
  await successor.beginTransaction();
  await successor.send(topic, [{ value: 'from-successor' }]);
  await successor.commitTransaction();

  const fenced = await zombie.commitTransaction().then(() => null, (err: unknown) => err);
  assert.ok(fenced instanceof KafkaError, `commit of the zombie fails with a KafkaError (${String(fenced)})`);
  assert.ok(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'].includes(fenced.code), fenced.code);
  await assert.rejects(zombie.beginTransaction(), (err: KafkaError) => err.code === fenced.code, 'the fenced producer stays fenced');
  await assert.rejects(zombie.send(topic, [{ value: 'late' }]), (err: KafkaError) => err.code === fenced.code);
  await zombie.close();
  await successor.close();
  assert.deepEqual(await readValuesWithKcat(broker.bootstrap, topic, 'read_committed'), ['from-successor']);
});

test('misuse fails clearly: sending outside a transaction, committing none, two at once, transactions without an id', { timeout: 30_000 }, async () => {
  const p = producer('misuse');
  await assert.rejects(p.send('txn-misuse', [{ value: 'x' }]), (err: ClientError) => err.code === 'MILLRACE_TRANSACTION_STATE' && /beginTransaction/.test(err.message));
  await assert.rejects(p.commitTransaction(), (err: ClientError) => err.code === 'MILLRACE_TRANSACTION_STATE');
  await p.beginTransaction();
  await assert.rejects(p.beginTransaction(), (err: ClientError) => err.code === 'MILLRACE_TRANSACTION_STATE' && /already open/.test(err.message));
  // An empty transaction commits without troubling the coordinator.
  await p.commitTransaction();
  await p.close();
  const plain = new Producer({ brokers: [broker.bootstrap] });
  await assert.rejects(plain.beginTransaction(), (err: ClientError) => err.code === 'MILLRACE_INVALID_ARGUMENT' && /transactionalId/.test(err.message));
  await plain.close();
  assert.throws(() => new Producer({ brokers: [broker.bootstrap], transactionalId: 't', acks: 1 }), (err: ClientError) => err.code === 'MILLRACE_INVALID_ARGUMENT');
});
