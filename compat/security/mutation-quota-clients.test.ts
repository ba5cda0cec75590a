// controller_mutation_rate (KIP-599) with real clients: set with `millrace quota`, it slows down
// every client's topic creations and deletions to the rate, and none of them fails. Clients on
// request versions before THROTTLING_QUOTA_EXCEEDED are held back by the muted connection
// (KIP-219); those after it (@platformatic/kafka, our CLI) are refused and ask again.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { Admin } from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { runTool } from '../harness/run-tool.ts';

const { Kafka, logLevel } = kafkajs;
const PYTHON = '/usr/bin/python3';
const main = join(resolve(import.meta.dirname, '../..'), 'packages/millrace/src/main.ts');
// 4 partitions a second, with a burst of one second's worth: 12 one-partition topics take at least
// 2 s to create (8 past the burst at 250 ms each), and as long again to delete. Unthrottled, all of
// it takes a fraction of a second.
const RATE = 4;
const TOPICS = 12;
const AT_LEAST_SECONDS = 1.5;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ args: ['--set', 'controller.quota.window.num=1'] });
});

after(async () => {
  await broker?.dispose();
});

function millrace(args: string[]) {
  return runTool(process.execPath, ['--conditions=development', main, ...args, '--brokers', broker.bootstrap], { timeoutMs: 60_000, allowFailure: true });
}

async function limit(clientId: string): Promise<void> {
  const set = await millrace(['quota', 'set', '--client-id', clientId, `controller_mutation_rate=${RATE}`]);
  assert.equal(set.code, 0, set.stderr);
}

async function topicsNamed(prefix: string): Promise<string[]> {
  const { stdout } = await runTool('kcat', ['-b', broker.bootstrap, '-L', '-J'], { timeoutMs: 30_000 });
  return (JSON.parse(stdout) as { topics: { topic: string }[] }).topics.map((t) => t.topic).filter((t) => t.startsWith(`${prefix}-`)).sort();
}

const seconds = (since: number) => (performance.now() - since) / 1000;
const names = (prefix: string) => Array.from({ length: TOPICS }, (_, i) => `${prefix}-${i}`);

test('millrace quota sets and lists controller_mutation_rate', async () => {
  await limit('listed');
  const listed = await millrace(['quota', 'list', '--output', 'json']);
  assert.deepEqual((JSON.parse(listed.stdout) as { entity: object; values: object }[]).find((e) => JSON.stringify(e.entity) === '{"client-id":"listed"}')?.values, { controller_mutation_rate: RATE });
  assert.equal((await millrace(['quota', 'set', '--ip', '10.0.0.1', 'controller_mutation_rate=1'])).code, 1, 'not a quota of an IP');
});

for (const client of ['confluent', 'kafka-python'] as const) {
  test(`${client}'s admin creates and deletes ${TOPICS} topics one by one at the rate, each one made`, async (t) => {
    await limit(`mq-${client}`);
    const run = await runTool(PYTHON, [join(import.meta.dirname, 'mutation_quota_topics.py'), client, broker.bootstrap, `mq-${client}`, `mq-${client}`, String(TOPICS)], { timeoutMs: 120_000 });
    const { createSeconds, deleteSeconds } = JSON.parse(run.stdout.trim().split('\n').pop()!) as { createSeconds: number; deleteSeconds: number };
    t.diagnostic(`${client}: created in ${createSeconds.toFixed(2)} s, deleted in ${deleteSeconds.toFixed(2)} s`);
    assert.ok(createSeconds >= AT_LEAST_SECONDS && deleteSeconds >= AT_LEAST_SECONDS, `created in ${createSeconds} s, deleted in ${deleteSeconds} s`);
    assert.deepEqual(await topicsNamed(`mq-${client}`), []);
  });
}

test(`KafkaJS and @platformatic/kafka create ${TOPICS} topics one by one at the rate, each one made`, async (t) => {
  await limit('mq-kafkajs');
  await limit('mq-platformatic');
  const kafkaAdmin = new Kafka({ clientId: 'mq-kafkajs', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
  const platformatic = new Admin({ clientId: 'mq-platformatic', bootstrapBrokers: [broker.bootstrap] });
  await kafkaAdmin.connect();
  try {
    let started = performance.now();
    for (const topic of names('mq-kafkajs')) assert.equal(await kafkaAdmin.createTopics({ topics: [{ topic, numPartitions: 1 }] }), true);
    const kafkajsSeconds = seconds(started);
    started = performance.now();
    for (const topic of names('mq-platformatic')) await platformatic.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    const platformaticSeconds = seconds(started);
    t.diagnostic(`KafkaJS: ${kafkajsSeconds.toFixed(2)} s, @platformatic/kafka: ${platformaticSeconds.toFixed(2)} s`);
    assert.ok(kafkajsSeconds >= AT_LEAST_SECONDS && platformaticSeconds >= AT_LEAST_SECONDS, `KafkaJS ${kafkajsSeconds} s, @platformatic/kafka ${platformaticSeconds} s`);
    assert.deepEqual(await topicsNamed('mq-kafkajs'), names('mq-kafkajs').sort());
    assert.deepEqual(await topicsNamed('mq-platformatic'), names('mq-platformatic').sort());
  } finally {
    await kafkaAdmin.disconnect();
    await platformatic.close();
  }
});

test('three millrace topic create commands at once, over the quota together, each make their topic', async () => {
  // Each command is a process and connection of its own under the CLI's one client id: those the
  // quota refuses ask again once the throttle time has passed.
  await limit('millrace-cli');
  const runs = await Promise.all(['a', 'b', 'c'].map((n) => millrace(['topic', 'create', `mq-cli-${n}`, '--partitions', '4'])));
  for (const run of runs) assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(await topicsNamed('mq-cli'), ['mq-cli-a', 'mq-cli-b', 'mq-cli-c']);
});
