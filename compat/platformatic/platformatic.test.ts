// @platformatic/kafka 2.12 (a pure-JS client built for Kafka 3.5+, so it picks newer, flexible API
// versions than KafkaJS) against a real broker process: its admin creates a topic, its producer
// sends keyed records with headers in every codec, and kcat reads back exactly what was acknowledged.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat, type KcatRecord, readValuesWithKcat } from '../harness/kcat.ts';

const PARTITIONS = 3;
const BATCHES = 10;
const PER_BATCH = 100;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ args: ['--set', `num.partitions=${PARTITIONS}`] });
});

after(async () => {
  await broker?.dispose();
});

function readBack(topic: string): Promise<KcatRecord[]> {
  return consumeAllWithKcat(broker.bootstrap, topic);
}

function producer() {
  return new Producer({ clientId: 'millrace-compat', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers });
}

test('admin creates a topic and lists it', { timeout: 30_000 }, async () => {
  const admin = new Admin({ clientId: 'millrace-compat', bootstrapBrokers: [broker.bootstrap] });
  try {
    await admin.createTopics({ topics: ['plt-admin'], partitions: PARTITIONS, replicas: 1 });
    assert.ok((await admin.listTopics()).includes('plt-admin'));
    const metadata = await admin.metadata({ topics: ['plt-admin'] });
    assert.equal(metadata.topics.get('plt-admin')?.partitionsCount, PARTITIONS);
  } finally {
    await admin.close();
  }
});

for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
  test(`producer sends ${BATCHES * PER_BATCH} keyed records with headers (${compression}); kcat reads exactly those`, { timeout: 60_000 }, async () => {
    const topic = `plt-${compression}`;
    const client = producer();
    // The base offset acknowledged for each send and partition, to find that send's records there.
    const acked: { batch: number; partition: number; offset: number }[] = [];
    try {
      for (let batch = 0; batch < BATCHES; batch++) {
        const result = await client.send({
          compression,
          autocreateTopics: true,
          messages: Array.from({ length: PER_BATCH }, (_, i) => {
            const n = batch * PER_BATCH + i;
            return { topic, key: `k${n % 11}`, value: `v${n}`, headers: { n: String(n) } };
          }),
        });
        for (const o of result.offsets ?? []) acked.push({ batch, partition: o.partition, offset: Number(o.offset) });
      }
    } finally {
      await client.close();
    }

    const records = await readBack(topic);
    assert.equal(records.length, BATCHES * PER_BATCH);
    assert.equal(new Set(records.map((r) => r.payload)).size, records.length, 'every record exactly once');
    const perPartition = new Map<number, KcatRecord[]>();
    for (const r of records) {
      const n = r.payload!.slice(1);
      assert.equal(r.key, `k${Number(n) % 11}`, 'the key stays with its value');
      assert.deepEqual(r.headers, ['n', n], 'headers intact');
      perPartition.set(r.partition, [...(perPartition.get(r.partition) ?? []), r]);
    }
    const sequence = (r: KcatRecord | undefined) => (r ? Number(r.payload!.slice(1)) : -1);
    for (const [partition, list] of perPartition) {
      list.forEach((r, i) => {
        assert.equal(r.offset, i, `partition ${partition}: offsets contiguous from 0`);
        assert.ok(sequence(r) > sequence(list[i - 1]), `partition ${partition}: production order kept`);
      });
    }
    assert.ok(acked.length >= BATCHES, 'every send acknowledged with offsets');
    // An acknowledged base offset is where that send's first record for the partition landed.
    for (const { batch, partition, offset } of acked) {
      const list = perPartition.get(partition) ?? [];
      assert.equal(Math.floor(sequence(list[offset]) / PER_BATCH), batch, `send ${batch} acked at ${partition}/${offset}`);
      assert.ok(Math.floor(sequence(list[offset - 1]) / PER_BATCH) < batch, `send ${batch} starts at ${partition}/${offset}`);
    }
  });
}

test('transactional producer: a committed transaction is read by READ_COMMITTED, an aborted one is not', { timeout: 60_000 }, async () => {
  const topic = 'plt-txn';
  const client = new Producer({ clientId: 'millrace-compat', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, idempotent: true, transactionalId: 'plt-tx', autocreateTopics: true });
  try {
    const kept = await client.beginTransaction();
    await kept.send({ messages: Array.from({ length: 30 }, (_, i) => ({ topic, key: `k${i}`, value: `kept-${i}` })) });
    await kept.commit();
    const dropped = await client.beginTransaction();
    await dropped.send({ messages: Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i}`, value: `dropped-${i}` })) });
    await dropped.abort();
  } finally {
    await client.close();
  }
  const read = (isolation: 'read_committed' | 'read_uncommitted') => readValuesWithKcat(broker.bootstrap, topic, isolation);
  assert.deepEqual(await read('read_committed'), Array.from({ length: 30 }, (_, i) => `kept-${i}`).sort());
  assert.equal((await read('read_uncommitted')).length, 50);
});
