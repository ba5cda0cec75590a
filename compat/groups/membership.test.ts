// Group membership over time with librdkafka members in their own processes: a member killed
// without leaving loses its partitions after its session timeout; a static member that restarts
// within its session timeout gets its partitions back without a rebalance.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { MemberProcess } from './member-process.ts';
import { waitFor } from '../../packages/broker/src/test-support/wait-for.ts';

const { Kafka, logLevel } = kafkajs;
let broker: RunningBroker;
let kafka: InstanceType<typeof Kafka>;
const members: MemberProcess[] = [];

before(async () => {
  broker = await startBroker({ args: ['--set', 'group.initial.rebalance.delay.ms=0'] });
  kafka = new Kafka({ clientId: 'membership-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});

after(async () => {
  for (const m of members) await m.kill();
  await broker?.dispose();
});

function member(topic: string, group: string, instanceId?: string, client: 'librdkafka' | 'kafkajs' = 'librdkafka'): MemberProcess {
  const m = new MemberProcess(broker.bootstrap, topic, group, instanceId, client);
  members.push(m);
  return m;
}


async function setup(topic: string, partitions: number): Promise<(from: number, count: number) => Promise<void>> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  await admin.disconnect();
  return async (from, count) => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })) });
    await producer.disconnect();
  };
}

const owns = (m: MemberProcess, n: number) => () => m.assignment.length === n;

test('a member killed without leaving loses its partitions to the others after its session timeout', { timeout: 120_000 }, async () => {
  const produce = await setup('killed', 4);
  const a = member('killed', 'survivors');
  const b = member('killed', 'survivors');
  await waitFor('both members to own 2 partitions', () => owns(a, 2)() && owns(b, 2)());
  assert.deepEqual([...a.assignment, ...b.assignment].sort(), [0, 1, 2, 3], 'disjoint, complete');
  await produce(0, 100);
  await waitFor('the first 100 records', () => new Set([...a.values, ...b.values]).size === 100);
  await b.kill();
  await waitFor('the survivor to own all 4 partitions', owns(a, 4));
  await produce(100, 100);
  await waitFor('the next 100 records on the survivor', () => a.values.filter((v) => Number(v.slice(1)) >= 100).length >= 100);
  assert.deepEqual(a.errors, []);
});

test('KafkaJS: 3 members, one killed without leaving: its partitions move to the others after the session timeout', { timeout: 120_000 }, async () => {
  const produce = await setup('kjs-killed', 6);
  const all = [0, 1, 2].map(() => member('kjs-killed', 'kjs-survivors', undefined, 'kafkajs'));
  const current = () => all.filter((m) => m !== victim).map((m) => m.assignment);
  let victim: MemberProcess | null = null;
  await waitFor('3 members with 2 partitions each', () => all.every((m) => m.assignment.length === 2) && new Set(all.flatMap((m) => m.assignment)).size === 6);
  await produce(0, 60);
  await waitFor('60 records', () => new Set(all.flatMap((m) => m.values)).size === 60);
  victim = all[0];
  await victim.kill();
  await waitFor('the 2 survivors to own all 6 partitions', () => current().every((a) => a.length === 3) && new Set(current().flat()).size === 6);
  await produce(60, 60);
  await waitFor('the next 60 records on the survivors', () => new Set(all.slice(1).flatMap((m) => m.values).filter((v) => Number(v.slice(1)) >= 60)).size === 60);
});

test('a static member restarting within its session timeout keeps its partitions without a rebalance', { timeout: 120_000 }, async () => {
  await setup('static', 4);
  const first = member('static', 'statics', 'instance-1');
  const other = member('static', 'statics', 'instance-2');
  await waitFor('both static members to own 2 partitions', () => owns(first, 2)() && owns(other, 2)());
  const kept = [...first.assignment];
  const otherEvents = other.assignments.length;
  await first.kill();
  const again = member('static', 'statics', 'instance-1');
  await waitFor('the restarted member to own its partitions', owns(again, 2));
  assert.deepEqual(again.assignment, kept, 'the same partitions as before');
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(other.assignments.length, otherEvents, 'the other member saw no rebalance');
});
