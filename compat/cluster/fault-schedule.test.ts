// The short fault schedule of every test run: kills, leader kills and pauses of brokers under
// idempotent and transactional producers and consumers, then the history is checked for lost,
// misplaced, duplicated or inconsistent records, consumers going back, reads of aborted
// transactions and transactions seen in part. (`npm run soak:cluster` runs a long one.) A producer
// stopped by a fatal client error is replaced and reported; what every producer had acknowledged is
// checked all the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describe } from './checker.ts';
import { brokerAccount, runFaultSchedule } from './fault-run.ts';

test('12 process faults under acks=all idempotent and transactional producers and consumers: nothing acknowledged is lost, duplicated or moved, no consumer goes back, no aborted record is read, no transaction is seen in part', { timeout: 600_000 }, async () => {
  const result = await runFaultSchedule({ faults: 12, seed: 20261204, log: (line) => console.log(line) });
  console.log(`fault schedule: ${JSON.stringify(result.faultsByKind)}, ${result.sent} sent, transactions ${JSON.stringify(result.transactions)}, ${describe(result)}, ${result.producerErrors.length} producer(s) stopped by a fatal client error${result.producerErrors.map((e) => `\n  ${e}`).join('')}, ${result.seconds.toFixed(0)} s`);
  assert.ok(result.acknowledged > 1_000, `only ${result.acknowledged} records were acknowledged: the workload did not run`);
  assert.ok(result.transactions.committed > 10, `only ${result.transactions.committed} transactions were committed: the transactional workload did not run`);
  assert.equal(Object.values(result.faultsByKind).reduce((a, b) => a + b, 0), 12);
  assert.ok(result.valid, `${describe(result)}\n${brokerAccount(result)}`);
});
