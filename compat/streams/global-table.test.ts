// A global table against a broker: read whole (3 partitions, beside a 1-partition stream) before
// any click is processed, whatever the timestamps; updated while the application runs.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin, Producer } from '@millrace/client';
import { KafkaStreams, type KeyValueStore, Serdes, StreamsBuilder } from '@millrace/streams';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { readAll, until } from './run-workload.ts';

let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
  const admin = new Admin({ brokers: [broker.bootstrap] });
  await admin.createTopics([{ topic: 'regions', partitions: 3, configs: { 'cleanup.policy': 'compact' } }, { topic: 'logins', partitions: 1 }, { topic: 'login-regions', partitions: 1 }]).finally(() => admin.close());
});

after(async () => {
  await broker?.dispose();
});

test('a global table is read to its end before processing starts, then follows its topic', async () => {
  const producer = new Producer({ brokers: [broker.bootstrap] });
  // The table's rows are newer than the logins: a table join (synchronised by time) would miss them.
  await producer.send('regions', Array.from({ length: 30 }, (_, u) => ({ key: `user-${u}`, value: `region-${u % 3}`, timestamp: 1_000_000 })));
  await producer.send('logins', Array.from({ length: 30 }, (_, u) => ({ key: `login-${u}`, value: `user-${u}`, timestamp: 1000 + u })));
  const builder = new StreamsBuilder();
  const regions = builder.globalTable('regions', { key: Serdes.string(), value: Serdes.string(), name: 'regions' });
  builder.stream('logins', { key: Serdes.string(), value: Serdes.string() })
    .leftJoin(regions, (_login, user) => user, (user, region) => `${user}@${region ?? 'unknown'}`)
    .to('login-regions', { value: Serdes.string() });
  const app = new KafkaStreams(builder.build(), { applicationId: 'login-regions', brokers: [broker.bootstrap], commitIntervalMs: 200 });
  await app.start();
  const read = () => readAll(broker.bootstrap, 'login-regions', (_k, v) => String(v));
  try {
    await until('the first logins joined', async () => (await read()).length >= 30);
    assert.deepEqual(await read(), Array.from({ length: 30 }, (_, u) => `user-${u}@region-${u % 3}`));
    await producer.send('regions', [{ key: 'user-1', value: 'region-moved' }, { key: 'user-2', value: null }]);
    await until('the update reached the table', () => app.store<KeyValueStore<string, { value: string }>>('regions')[0].get('user-1')?.value === 'region-moved');
    await producer.send('logins', [{ key: 'login-a', value: 'user-1' }, { key: 'login-b', value: 'user-2' }, { key: 'login-c', value: 'user-99' }]);
    await until('the later logins joined', async () => (await read()).length >= 33);
    assert.deepEqual((await read()).slice(30), ['user-1@region-moved', 'user-2@unknown', 'user-99@unknown']);
  } finally {
    await producer.close();
    await app.close();
  }
});
