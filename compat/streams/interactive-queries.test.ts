// Interactive queries across two instances: each reads its own stores, and either one can tell
// which instance (its application server) holds a key.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin, Producer } from '@millrace/client';
import { KafkaStreams, type KeyValueStore, Serdes } from '@millrace/streams';
import { wordCount } from '../../examples/streams/word-count.ts';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { until } from './run-workload.ts';

const WORDS = Array.from({ length: 40 }, (_, i) => `word${i}`);
let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
  const admin = new Admin({ brokers: [broker.bootstrap] });
  await admin.createTopics([{ topic: 'iq-lines', partitions: 4 }, { topic: 'iq-counts', partitions: 4 }]).finally(() => admin.close());
});

after(async () => {
  await broker?.dispose();
});

test('metadataForKey names the instance whose store holds the key, on both instances', async () => {
  const start = (server: string) => new KafkaStreams(wordCount('iq-lines', 'iq-counts'), { applicationId: 'iq', brokers: [broker.bootstrap], applicationServer: server, commitIntervalMs: 200 });
  const apps = { 'host-a:8080': start('host-a:8080'), 'host-b:8080': start('host-b:8080') };
  await Promise.all(Object.values(apps).map((a) => a.start()));
  try {
    const [a, b] = Object.values(apps);
    await until('the tasks split between the two', () => a.taskIds().length > 0 && b.taskIds().length > 0 && a.taskIds().length + b.taskIds().length === 8 && a.state === 'RUNNING' && b.state === 'RUNNING');
    const producer = new Producer({ brokers: [broker.bootstrap] });
    await producer.send('iq-lines', WORDS.map((w, i) => ({ key: String(i), value: `${w} ${w}` }))).finally(() => producer.close());
    const holds = (app: KafkaStreams, word: string) => app.store<KeyValueStore<string, { value: number }>>('counts').some((s) => s.get(word)?.value === 2);
    await until('every word counted twice', () => WORDS.every((w) => holds(a, w) || holds(b, w)));
    for (const word of WORDS) {
      const [fromA, fromB] = [a.metadataForKey('counts', word, Serdes.string()), b.metadataForKey('counts', word, Serdes.string())];
      assert.deepEqual(fromA, fromB, word);
      for (const [server, app] of Object.entries(apps)) assert.equal(holds(app, word), fromA.host === server, `${word} is held by ${fromA.host}`);
    }
  } finally {
    await Promise.all(Object.values(apps).map((app) => app.close()));
  }
});
