// A windowed application stopped and started again keeps its stream time (in the metadata of its
// committed offsets, as Kafka Streams does): the windows it emitted on close before the restart are
// not emitted again, and a record too late before the restart is still too late after it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin, Producer } from '@millrace/client';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat } from '../harness/kcat.ts';
import { startExample } from './app-process.ts';
import { until } from './run-workload.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const MINUTE = 60_000;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
  const admin = new Admin({ brokers: [broker.bootstrap] });
  await admin.createTopics([{ topic: 'rs-views', partitions: 2 }, { topic: 'rs-counts', partitions: 2 }]).finally(() => admin.close());
});

after(async () => {
  await broker?.dispose();
});

test('exactly once: minutes emitted on close before a restart are not emitted again after it', async () => {
  const args = ['--brokers', broker.bootstrap, '--input', 'rs-views', '--output', 'rs-counts', '--exactly-once'];
  const producer = new Producer({ brokers: [broker.bootstrap] });
  const counts = async () => (await consumeAllWithKcat(broker.bootstrap, 'rs-counts', 'read_committed')).map((r) => `${r.key}=${r.payload}`).sort();
  const minute = (m: number) => new Date(T0 + m * MINUTE).toISOString();
  try {
    // Minutes 0 and 1 of /a, then a view at 2:15 closes both (a minute closes 10 s after its end).
    await producer.send('rs-views', [0, 20, 70, 135].map((s) => ({ key: 'u', value: '/a', timestamp: T0 + s * 1000 })));
    let app = startExample('page-views.ts', args);
    try {
      await until('minutes 0 and 1 written', async () => (await counts()).length >= 2);
    } finally {
      assert.equal(await app.stop('SIGTERM'), 0, app.output());
    }
    assert.deepEqual(await counts(), [`/a@${minute(0)}=2`, `/a@${minute(1)}=1`]);
    // After the restart: one more view in minute 2, one too late for minute 1, and one that closes minute 2.
    await producer.send('rs-views', [140, 75, 300].map((s) => ({ key: 'u', value: '/a', timestamp: T0 + s * 1000 })));
    app = startExample('page-views.ts', args);
    try {
      await until('minute 2 written', async () => (await counts()).length >= 3);
      // Give it time to write anything it should not.
      await new Promise((resolve) => setTimeout(resolve, 2000));
    } finally {
      assert.equal(await app.stop('SIGTERM'), 0, app.output());
    }
    assert.deepEqual(await counts(), [`/a@${minute(0)}=2`, `/a@${minute(1)}=1`, `/a@${minute(2)}=2`]);
  } finally {
    await producer.close();
  }
});
