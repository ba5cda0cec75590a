// Consumer groups with real clients: KafkaJS members sharing partitions, librdkafka's
// cooperative-sticky and kafka-python's group consumers, kcat -G, and committed offsets that
// survive a SIGKILL of the broker.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { runTool } from '../harness/run-tool.ts';
import { waitFor as waitUntil } from '../../packages/broker/src/test-support/wait-for.ts';

const waitFor = (what: string, done: () => boolean) => waitUntil(what, done, 30_000);

const { Kafka, logLevel } = kafkajs;
type Consumer = ReturnType<InstanceType<typeof Kafka>['consumer']>;
let broker: RunningBroker;
let kafka: InstanceType<typeof Kafka>;

before(async () => {
  broker = await startBroker({ args: ['--set', 'group.initial.rebalance.delay.ms=0'] });
  kafka = new Kafka({ clientId: 'groups-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});

after(async () => {
  await broker?.dispose();
});

async function createTopic(topic: string, partitions: number, records: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: records }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
  await producer.disconnect();
}


test('KafkaJS: 3 members share 6 partitions 2 each; a 4th joins mid-stream and the assignment rebalances; nothing lost or read twice', { timeout: 120_000 }, async () => {
  await createTopic('shared', 6, 600);
  const consumed = new Map<string, number>();
  // Each member's latest assignment, from KafkaJS's GROUP_JOIN events.
  const assignments = new Map<number, number[]>();
  const consumers: Consumer[] = [];
  const startMember = async (index: number) => {
    const consumer = kafka.consumer({ groupId: 'sharers', heartbeatInterval: 500 });
    consumer.on(consumer.events.GROUP_JOIN, (e) => assignments.set(index, e.payload.memberAssignment.shared ?? []));
    await consumer.connect();
    await consumer.subscribe({ topic: 'shared', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void consumed.set(message.value!.toString(), (consumed.get(message.value!.toString()) ?? 0) + 1) });
    consumers.push(consumer);
  };
  for (let i = 0; i < 3; i++) await startMember(i);
  // Settled: every member has an assignment, no partition is held twice, none is left out.
  const settled = (members: number) => () => {
    const current = [...assignments.values()];
    const partitions = current.flatMap((a) => a);
    return current.length === members && current.every((a) => a.length > 0) && partitions.length === 6 && new Set(partitions).size === 6;
  };
  await waitFor('3 members to settle', settled(3));
  assert.deepEqual([...assignments.values()].map((a) => a.length).sort(), [2, 2, 2]);
  await waitFor('all 600 records', () => consumed.size === 600);

  // A clean rebalance while records keep coming: with commits after processing, none is read twice.
  const producer = kafka.producer();
  await producer.connect();
  const joining = startMember(3);
  for (let i = 600; i < 1200; i += 50) {
    await producer.send({ topic: 'shared', messages: Array.from({ length: 50 }, (_, j) => ({ key: `k${i + j}`, value: `v${i + j}` })) });
    await new Promise((r) => setTimeout(r, 50));
  }
  await producer.disconnect();
  await joining;
  await waitFor('4 members to settle', settled(4));
  await waitFor('all 1,200 records', () => consumed.size === 1200);
  assert.deepEqual([...consumed.values()].filter((n) => n > 1), [], 'no record consumed twice across the clean rebalance');
  const sizes = [...assignments.values()].map((a) => a.length).sort();
  assert.deepEqual(sizes, [1, 1, 2, 2], 'no partition is assigned twice in a generation, none is left out');
  for (const c of consumers) await c.disconnect();
});

for (const client of ['kafka-python', 'confluent']) {
  test(`${client}: a group consumer reads everything, commits, and a restarted consumer resumes after the commit`, { timeout: 120_000 }, async () => {
    const topic = `py-${client}`;
    await createTopic(topic, 3, 90);
    const run = async () => {
      const { stdout } = await runTool('/usr/bin/python3', [join(import.meta.dirname, 'python_group.py'), client, broker.bootstrap, topic, `g-${client}`, '90'], { timeoutMs: 90_000 });
      return JSON.parse(stdout.trim().split('\n').pop()!) as { consumed: string[]; assignment: number[] };
    };
    const first = await run();
    assert.equal(new Set(first.consumed).size, 90);
    assert.deepEqual(first.assignment, [0, 1, 2]);
    const second = await run();
    assert.deepEqual(second.consumed, [], 'resumes at the committed offsets');
    // The commits survive a SIGKILL of the broker: the next consumer starts after them.
    await broker.stop('SIGKILL');
    await broker.restart();
    const afterKill = await run();
    assert.deepEqual(afterKill.consumed, [], 'resumes at the committed offsets after the broker was killed');
  });
}

test('kcat -G consumes a topic as a group member', { timeout: 60_000 }, async () => {
  await createTopic('kcat-group', 2, 50);
  const { stdout } = await runTool('kcat', ['-b', broker.bootstrap, '-G', 'kcat-members', '-o', 'beginning', '-e', '-q', 'kcat-group'], { timeoutMs: 45_000 });
  assert.equal(new Set(stdout.trim().split('\n')).size, 50);
});

test('committed offsets survive a SIGKILL of the broker', { timeout: 60_000 }, async () => {
  await createTopic('kept-offsets', 2, 10);
  const admin = kafka.admin();
  await admin.connect();
  await admin.setOffsets({ groupId: 'durable', topic: 'kept-offsets', partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '4' }] });
  await admin.disconnect();
  await broker.stop('SIGKILL');
  await broker.restart();
  const again = kafka.admin();
  await again.connect();
  const offsets = await again.fetchOffsets({ groupId: 'durable', topics: ['kept-offsets'] });
  await again.disconnect();
  assert.deepEqual(offsets[0].partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '3'], [1, '4']]);
});
