// Streams against tables written by other clients: KafkaJS's default partitioner and librdkafka's
// murmur2_random both hash keys as Java's does (murmur2), so a stream re-keyed and repartitioned by
// Millrace meets every key's row in the same task. A join of inputs whose partition counts differ
// is refused at start; a foreign-key join needs no co-partitioning.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin, Producer } from '@millrace/client';
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

test('a foreign-key join of a 3-partition table with a 1-partition table ends with every row joined to its current match', async () => {
  const admin = new Admin({ brokers: [broker.bootstrap] });
  await admin.createTopics([{ topic: 'fk3-orders', partitions: 3 }, { topic: 'fk3-products', partitions: 1 }, { topic: 'fk3-joined', partitions: 3 }]).finally(() => admin.close());
  const builder = new StreamsBuilder();
  const orders = builder.table('fk3-orders', { key: Serdes.string(), value: Serdes.string(), name: 'fk3-orders' });
  const products = builder.table('fk3-products', { key: Serdes.string(), value: Serdes.string(), name: 'fk3-products' });
  orders.leftJoin(products, (pid) => pid, (pid, product) => `${pid}:${product ?? 'none'}`, { name: 'fk3', value: Serdes.string() }).toStream().to('fk3-joined', { value: Serdes.string() });
  const producer = new Producer({ brokers: [broker.bootstrap] });
  await producer.send('fk3-products', Array.from({ length: 5 }, (_, p) => ({ key: `P${p}`, value: `product-${p}` })));
  await producer.send('fk3-orders', Array.from({ length: 60 }, (_, o) => ({ key: `O${o}`, value: `P${o % 6}` })));
  const app = new KafkaStreams(builder.build(), { applicationId: 'fk3', brokers: [broker.bootstrap], commitIntervalMs: 200 });
  await app.start();
  const final = async () => {
    const rows = new Map<string, string>();
    for (const entry of await readAll(broker.bootstrap, 'fk3-joined', (k, v) => `${String(k)}=${v === null ? '' : String(v)}`)) {
      const [key, value] = entry.split('=');
      if (value === '') rows.delete(key);
      else rows.set(key, value);
    }
    return rows;
  };
  const want = (o: number, names: (p: number) => string) => `P${o % 6}:${o % 6 === 5 ? 'none' : names(o % 6)}`;
  try {
    await until('every order joined', async () => (await final()).size === 60);
    // A product changes: every order naming it follows.
    await producer.send('fk3-products', [{ key: 'P2', value: 'product-2-v2' }]);
    await until('the change reached every order', async () => {
      const rows = await final();
      return Array.from({ length: 60 }, (_, o) => rows.get(`O${o}`) === want(o, (p) => (p === 2 ? 'product-2-v2' : `product-${p}`))).every(Boolean);
    });
  } finally {
    await producer.close();
    await app.close();
  }
});
