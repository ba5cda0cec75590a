// Streams against tables written by other clients: KafkaJS's default partitioner and librdkafka's
// murmur2_random both hash keys as Java's does (murmur2), so a stream re-keyed and repartitioned by
// Millrace meets every key's row in the same task. A join of inputs whose partition counts differ
// is refused at start.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin } from '@millrace/client';
import { KafkaStreams, Serdes, StreamsBuilder } from '@millrace/streams';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { runTool } from '../harness/run-tool.ts';
import { readAll, until } from './run-workload.ts';

const USERS = 200;
const VISITS = 1000;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
});

after(async () => {
  await broker?.dispose();
});

function visitRegions(suffix: string) {
  const builder = new StreamsBuilder();
  const profiles = builder.table(`profiles-${suffix}`, { key: Serdes.string(), value: Serdes.string(), name: `profiles-${suffix}` });
  builder.stream(`visits-${suffix}`, { key: Serdes.string(), value: Serdes.string() })
    .selectKey((_visit, user) => user)
    .join(profiles, (user, region) => `${user}:${region}`, { name: `visits-by-user-${suffix}` })
    .to(`visit-regions-${suffix}`, { value: Serdes.string() });
  return builder.build();
}

async function createTopics(suffix: string, profilePartitions = 4): Promise<void> {
  const admin = new Admin({ brokers: [broker.bootstrap] });
  await admin.createTopics([
    { topic: `profiles-${suffix}`, partitions: profilePartitions },
    { topic: `visits-${suffix}`, partitions: 4 },
    { topic: `visit-regions-${suffix}`, partitions: 4 },
  ]).finally(() => admin.close());
}

/** Joins every visit with its user's region and checks that none is missing. */
async function joinAll(suffix: string): Promise<void> {
  const visits = Array.from({ length: VISITS }, (_, i) => `visit-${i}:user-${(i * 7) % USERS}`).join('\n') + '\n';
  await runTool('kcat', ['-b', broker.bootstrap, '-P', '-t', `visits-${suffix}`, '-K:'], { input: visits, timeoutMs: 60_000 });
  const app = new KafkaStreams(visitRegions(suffix), { applicationId: `regions-${suffix}`, brokers: [broker.bootstrap], commitIntervalMs: 200 });
  await app.start();
  try {
    await until('every visit joined', async () => (await readAll(broker.bootstrap, `visit-regions-${suffix}`, (_k, v) => String(v))).length >= VISITS);
  } finally {
    await app.close();
  }
  const joined = await readAll(broker.bootstrap, `visit-regions-${suffix}`, (k, v) => `${String(k)}=${String(v)}`);
  assert.equal(joined.length, VISITS);
  for (let i = 0; i < VISITS; i++) {
    const user = `user-${(i * 7) % USERS}`;
    assert.ok(joined.includes(`${user}=${user}:region-${(i * 7) % USERS % 5}`), `visit ${i} of ${user}`);
  }
}

test('a table written by KafkaJS (default partitioner) joins a stream Millrace repartitioned by the same key', async () => {
  await createTopics('kafkajs');
  const producer = new Kafka({ clientId: 'profiles', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({ topic: 'profiles-kafkajs', messages: Array.from({ length: USERS }, (_, u) => ({ key: `user-${u}`, value: `region-${u % 5}` })) });
  } finally {
    await producer.disconnect();
  }
  await joinAll('kafkajs');
});

test('a table written by librdkafka with partitioner=murmur2_random joins a stream Millrace repartitioned by the same key', async () => {
  await createTopics('rdkafka');
  const profiles = Array.from({ length: USERS }, (_, u) => `user-${u}:region-${u % 5}`).join('\n') + '\n';
  await runTool('kcat', ['-b', broker.bootstrap, '-P', '-t', 'profiles-rdkafka', '-K:', '-X', 'partitioner=murmur2_random'], { input: profiles, timeoutMs: 60_000 });
  await joinAll('rdkafka');
});

test('a join of topics with different partition counts is refused at start, naming the topics', async () => {
  await createTopics('mismatch', 3);
  const builder = new StreamsBuilder();
  const profiles = builder.table('profiles-mismatch', { key: Serdes.string(), value: Serdes.string(), name: 'profiles-mismatch' });
  builder.stream('visits-mismatch', { key: Serdes.string(), value: Serdes.string() }).join(profiles, (a, b) => a + b).to('visit-regions-mismatch', { value: Serdes.string() });
  const app = new KafkaStreams(builder.build(), { applicationId: 'regions-mismatch', brokers: [broker.bootstrap] });
  await assert.rejects(app.start(), (err: Error & { code?: string }) => err.code === 'CO_PARTITIONING' && /visits-mismatch \(4\)/.test(err.message) && /profiles-mismatch \(3\)/.test(err.message));
  assert.equal(app.state, 'ERROR');
});
