import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Serdes } from '../serdes.ts';
import type { StoreType } from '../stores/key-value-store.ts';
import { TopologyTestDriver } from '../test-driver.ts';
import { hoppingWindows, tumblingWindows } from './tumbling-windows.ts';
import { enrichment, enrichmentGlobal } from './enrichment.ts';
import { foreignKeyJoin } from './foreign-key-join.ts';
import { fraudVelocity, fraudWindows } from './fraud.ts';
import { sessionization } from './sessions.ts';
import { streamJoin } from './stream-join.ts';
import type { Workload } from './workload.ts';

const workloads: Workload[] = [tumblingWindows, hoppingWindows, sessionization, enrichment, enrichmentGlobal, streamJoin, foreignKeyJoin, fraudWindows, fraudVelocity];

/** Pipes a workload's inputs one at a time and checks each row's outputs. */
function runOnDriver(workload: Workload, defaultStore?: StoreType): TopologyTestDriver {
  const driver = new TopologyTestDriver(workload.topology(defaultStore), { applicationId: 'acceptance' });
  const inputs = new Map(workload.inputTopics.map((t) => [t, driver.inputTopic(t, Serdes.string(), Serdes.string())]));
  const outputs = new Map(workload.outputTopics.map((t) => [t, driver.outputTopic(t, Serdes.bytes(), Serdes.bytes())]));
  workload.rows.forEach((row, i) => {
    inputs.get(row.input.topic)!.pipeInput(row.input.key, row.input.value, row.input.timestamp);
    for (const [topic, out] of outputs) {
      const got = out.readRecordsToList().map((r) => workload.format(topic, r.key, r.value, r.timestamp));
      const want = row.output[topic] ?? [];
      if (row.unordered) assert.deepEqual([...got].sort(), [...want].sort(), `row ${i + 1} (${topic})`);
      else assert.deepEqual(got, want, `row ${i + 1} (${topic})`);
    }
  });
  return driver;
}

for (const workload of workloads) {
  test(`test driver: ${workload.name}`, () => runOnDriver(workload).close());
  // Workloads whose only stores are windowed have no key-value store to make persistent.
  if ([...workload.topology('persistent').stores.values()].some((store) => store.persistent)) {
    test(`test driver, persistent key-value stores: ${workload.name}`, () => runOnDriver(workload, 'persistent').close());
  }
}

test('test driver: the late record of the tumbling workload is dropped and counted once per aggregation', () => {
  const driver = runOnDriver(tumblingWindows);
  assert.equal(driver.droppedRecords('late'), 2);
  driver.close();
});

test('test driver: the velocity check forgets idle cards on stream time and reports on the wall clock once per interval', () => {
  const driver = new TopologyTestDriver(fraudVelocity.topology(), { applicationId: 'acceptance', initialWallClockMs: 0 });
  const payments = driver.inputTopic('card-payments', Serdes.string(), Serdes.string());
  const stats = driver.outputTopic('velocity-stats', Serdes.string(), Serdes.string());
  const recent = driver.store<import('../stores/key-value-store.ts').KeyValueStore<string, number[]>>('recent-payments');
  payments.pipeInput('C1', '10', 150_000);
  payments.pipeInput('C2', '10', 200_000);
  assert.deepEqual(recent.all().map(([card]) => card), ['C1', 'C2']);
  // Stream time 240 s: C1's last payment (150 s) is more than a minute old.
  payments.pipeInput('C2', '10', 240_000);
  assert.deepEqual(recent.all().map(([card]) => card), ['C2']);
  driver.advanceWallClockTime('59s');
  assert.ok(stats.isEmpty());
  driver.advanceWallClockTime('1s');
  assert.deepEqual(stats.readKeyValuesToList(), [['tracked-cards', '1']]);
  driver.advanceWallClockTime('180s');
  assert.deepEqual(stats.readRecordsToList().map((r) => [r.value, r.timestamp]), [['1', 240_000]]);
  driver.close();
});

test('test driver: a stream-stream join is many-to-many, each result at the later of its two timestamps', () => {
  const driver = new TopologyTestDriver(streamJoin.topology(), { applicationId: 'acceptance' });
  const orders = driver.inputTopic('orders', Serdes.string(), Serdes.string());
  const payments = driver.inputTopic('payments', Serdes.string(), Serdes.string());
  const inner = driver.outputTopic('joined-inner', Serdes.string(), Serdes.string());
  orders.pipeInput('O1', 'o1', 0);
  payments.pipeInput('O1', 'p1', 4000);
  payments.pipeInput('O1', 'p1c', 6000);
  orders.pipeInput('O1', "o1'", 8000);
  assert.deepEqual(inner.readRecordsToList().map((r) => [r.value, r.timestamp]), [['[o1,p1]', 4000], ['[o1,p1c]', 6000], ["[o1',p1]", 8000], ["[o1',p1c]", 8000]]);
  driver.close();
});

test('test driver: a foreign-key join has its two topics and subscription store, and needs no co-partitioning', () => {
  const topology = foreignKeyJoin.topology();
  const driver = new TopologyTestDriver(topology, { applicationId: 'fk' });
  assert.deepEqual(driver.internalTopics().filter((t) => t.startsWith('fk-order-product-') && !t.startsWith('fk-order-product-left')).sort(), [
    'fk-order-product-changelog', 'fk-order-product-subscription-registration-topic', 'fk-order-product-subscription-response-topic', 'fk-order-product-subscription-store-changelog',
  ]);
  assert.ok(!topology.copartitionGroups.some((g) => g.some((t) => t.name === 'fk-orders') && g.some((t) => t.name === 'fk-products')));
  driver.close();
});
