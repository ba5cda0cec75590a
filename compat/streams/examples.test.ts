// The other Streams examples, each run as a user runs it against a broker process: input from our
// producer (with chosen event times), output read by kcat.
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
let producer: Producer;

before(async () => {
  broker = await startBroker();
  const admin = new Admin({ brokers: [broker.bootstrap] });
  const topics = ['views', 'view-counts', 'orders', 'payments', 'order-status', 'card-payments', 'fraud-alerts'];
  await admin.createTopics(topics.map((topic) => ({ topic, partitions: 1 }))).finally(() => admin.close());
  producer = new Producer({ brokers: [broker.bootstrap] });
});

after(async () => {
  await producer?.close();
  await broker?.dispose();
});

async function outputOf(script: string, args: string[], topic: string, count: number): Promise<{ key: string | null; value: string | null }[]> {
  const app = startExample(script, ['--brokers', broker.bootstrap, ...args]);
  try {
    await until(`${count} records in ${topic}`, async () => (await consumeAllWithKcat(broker.bootstrap, topic)).length >= count);
  } finally {
    assert.equal(await app.stop('SIGTERM'), 0, app.output());
  }
  return (await consumeAllWithKcat(broker.bootstrap, topic)).map((r) => ({ key: r.key, value: r.payload }));
}

test('page-views.ts writes each page\'s views per minute once the minute and its grace are over', async () => {
  await producer.send('views', [
    { key: 'u1', value: '/pricing', timestamp: T0 + 1000 },
    { key: 'u2', value: '/pricing', timestamp: T0 + 20_000 },
    { key: 'u3', value: '/docs', timestamp: T0 + 30_000 },
    { key: 'u1', value: '/pricing', timestamp: T0 + 59_000 },
    { key: 'u4', value: '/docs', timestamp: T0 + MINUTE + 5000 },
    // Moves stream time past the first minute plus its 10 s grace.
    { key: 'u5', value: '/docs', timestamp: T0 + 2 * MINUTE + 30_000 },
  ]);
  const counts = await outputOf('page-views.ts', ['--input', 'views', '--output', 'view-counts'], 'view-counts', 3);
  const minute = (m: number) => new Date(T0 + m * MINUTE).toISOString();
  assert.deepEqual(counts.map((c) => `${c.key}=${c.value}`).sort(), [`/docs@${minute(0)}=1`, `/docs@${minute(1)}=1`, `/pricing@${minute(0)}=3`]);
});

test('orders-payments.ts marks orders paid within their window, and unpaid once the window has passed', async () => {
  await producer.send('orders', [{ key: 'O1', value: '{"amount":10}', timestamp: T0 }, { key: 'O2', value: '{"amount":25}', timestamp: T0 + 1000 }]);
  await producer.send('payments', [{ key: 'O1', value: '{"amount":10}', timestamp: T0 + 3 * MINUTE }]);
  // A later order moves stream time past O2's window (10 min) and grace (1 min).
  await producer.send('orders', [{ key: 'O3', value: '{"amount":5}', timestamp: T0 + 20 * MINUTE }]);
  const status = await outputOf('orders-payments.ts', ['--orders', 'orders', '--payments', 'payments', '--output', 'order-status'], 'order-status', 2);
  assert.deepEqual(status.map((s) => [s.key, JSON.parse(s.value!) as unknown]), [
    ['O1', { status: 'paid', ordered: 10, paid: 10 }],
    ['O2', { status: 'unpaid', ordered: 25, paid: 0 }],
  ]);
});

test('fraud-velocity.ts raises an alert at a card\'s third payment within a minute', async () => {
  await producer.send('card-payments', [
    { key: 'C1', value: '10', timestamp: T0 },
    { key: 'C2', value: '99', timestamp: T0 + 5000 },
    { key: 'C1', value: '20', timestamp: T0 + 30_000 },
    { key: 'C1', value: '30', timestamp: T0 + 50_000 },
    { key: 'C2', value: '98', timestamp: T0 + 70_000 },
    { key: 'C2', value: '97', timestamp: T0 + 200_000 },
  ]);
  const alerts = await outputOf('fraud-velocity.ts', ['--input', 'card-payments', '--output', 'fraud-alerts'], 'fraud-alerts', 1);
  assert.deepEqual(alerts, [{ key: 'C1', value: '3 payments in 50 s, the last of 30' }]);
});
