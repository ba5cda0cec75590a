import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Serdes } from '../serdes.ts';
import { TopologyTestDriver } from '../test-driver.ts';
import { StreamsBuilder } from './streams-builder.ts';

const str = Serdes.string();

test('table groupBy: a row moving to another group is subtracted from the old one and added to the new', () => {
  const b = new StreamsBuilder();
  // users: user -> region; users per region.
  b.table('users', { key: str, value: str, name: 'users' })
    .groupBy((_user, region) => [region, _user], { name: 'by-region', key: str, value: str })
    .count({ name: 'users-per-region' })
    .toStream().to('per-region', { value: Serdes.decimal() });
  const driver = new TopologyTestDriver(b.build(), { applicationId: 'app' });
  const users = driver.inputTopic('users', str, str);
  const out = driver.outputTopic('per-region', str, Serdes.decimal());
  users.pipeInput('ann', 'EU', 1);
  users.pipeInput('bob', 'EU', 2);
  users.pipeInput('cat', 'US', 3);
  assert.deepEqual(out.readKeyValuesToList(), [['EU', 1], ['EU', 2], ['US', 1]]);
  users.pipeInput('bob', 'US', 4);
  assert.deepEqual(out.readKeyValuesToList(), [['EU', 1], ['US', 2]]);
  users.pipeInput('ann', 'EU', 5);
  assert.deepEqual(out.readKeyValuesToList(), [['EU', 1]], 'a row changing within its group: subtracted and added in one step');
  users.pipeInput('cat', null, 6);
  assert.deepEqual(out.readKeyValuesToList(), [['US', 1]]);
  assert.ok(driver.internalTopics().includes('app-by-region-repartition'));
  driver.close();
});

test('table groupBy with aggregate: sums follow updates and deletions', () => {
  const b = new StreamsBuilder();
  b.table('balances', { key: str, value: Serdes.decimal(), name: 'balances' })
    .groupBy((account, balance) => [account.split('/')[0], balance], { name: 'by-customer', key: str, value: Serdes.decimal() })
    .aggregate(() => 0, (_c, v, sum) => sum + v, (_c, v, sum) => sum - v, { name: 'customer-totals', value: Serdes.decimal() })
    .toStream().to('totals', { value: Serdes.decimal() });
  const driver = new TopologyTestDriver(b.build(), { applicationId: 'app' });
  const balances = driver.inputTopic('balances', str, Serdes.decimal());
  balances.pipeInput('c1/a', 100, 1);
  balances.pipeInput('c1/b', 50, 2);
  balances.pipeInput('c1/a', 70, 3);
  balances.pipeInput('c1/b', null, 4);
  assert.deepEqual(driver.outputTopic('totals', str, Serdes.decimal()).readKeyValuesToList(), [['c1', 100], ['c1', 150], ['c1', 120], ['c1', 70]]);
  driver.close();
});

test('cogroup: two streams feed one aggregate, each with its own aggregator, in one store', () => {
  const b = new StreamsBuilder();
  const clicks = b.stream('clicks', { key: str, value: str }).groupByKey();
  const buys = b.stream('buys', { key: str, value: Serdes.decimal() }).groupByKey();
  interface Activity { clicks: number; spent: number }
  clicks.cogroup((_u, _page, a: Activity) => ({ ...a, clicks: a.clicks + 1 }))
    .cogroup(buys, (_u, amount, a) => ({ ...a, spent: a.spent + amount }))
    .aggregate(() => ({ clicks: 0, spent: 0 }), { name: 'activity', value: Serdes.json<Activity>() })
    .toStream().to('activity', { value: Serdes.json<Activity>() });
  const driver = new TopologyTestDriver(b.build(), { applicationId: 'app' });
  driver.inputTopic('clicks', str, str).pipeInput('u1', '/home', 1);
  driver.inputTopic('buys', str, Serdes.decimal()).pipeInput('u1', 30, 2);
  driver.inputTopic('clicks', str, str).pipeInput('u1', '/cart', 3);
  const out = driver.outputTopic('activity', str, Serdes.json<Activity>()).readRecordsToList().map((r) => [r.value, r.timestamp]);
  assert.deepEqual(out, [[{ clicks: 1, spent: 0 }, 1], [{ clicks: 1, spent: 30 }, 2], [{ clicks: 2, spent: 30 }, 3]]);
  assert.deepEqual(driver.internalTopics(), ['app-activity-changelog']);
  driver.close();
});
