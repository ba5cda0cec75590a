// Transactions through broker crashes: a librdkafka transactional producer commits transaction
// after transaction while the broker is SIGKILLed and restarted. Afterwards no transaction hangs
// (the last stable offset reaches the high watermark on every partition), every transaction is
// all-or-nothing for READ_COMMITTED readers, and every one whose commit returned is there whole.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { waitFor } from '../../packages/broker/src/test-support/wait-for.ts';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat } from '../harness/kcat.ts';
import { noOpenTransaction } from '../cluster/latest-offsets.ts';
import { checkTransactions } from '../cluster/txn-checker.ts';
import { startTxnCrashProducer } from './txn-crash-producer.ts';

const PARTITIONS = 3;
const SIZE = 10;
const KILLS = 6;
let broker: RunningBroker | undefined;

after(async () => {
  await broker?.dispose();
});

test('transactions stay atomic and none hangs across SIGKILLs of the broker', { timeout: 300_000 }, async () => {
  broker = await startBroker({ args: ['--set', `num.partitions=${PARTITIONS}`, '--set', 'transaction.abort.timed.out.transaction.cleanup.interval.ms=500'] });
  const producer = startTxnCrashProducer(broker.bootstrap, 'txn-crash', SIZE);
  try {
    for (let kill = 0; kill < KILLS; kill++) {
      await waitFor('a few transactions between crashes', () => producer.committed() >= (kill + 1) * 5, 60_000, 50);
      await broker.stop('SIGKILL');
      await broker.restart();
    }
    await waitFor('more commits after the last restart', () => producer.committed() >= (KILLS + 1) * 5, 60_000, 50);
  } finally {
    await producer.stop();
  }

  await waitFor('every partition to have no open transaction', () => noOpenTransaction(broker!.bootstrap, 'txn-crash'), 60_000, 500);

  const final = (await consumeAllWithKcat(broker.bootstrap, 'txn-crash', 'read_committed')).map((r) => ({ consumer: 'final', partition: r.partition, offset: r.offset, value: r.payload ?? '' }));
  const anomalies = checkTransactions(producer.outcomes, SIZE, [], final);
  const outcomes = [...producer.outcomes.values()];
  console.log(`txn crash: ${KILLS} kills, ${outcomes.length} transactions, ${producer.committed()} committed, ${outcomes.filter((k) => k === 'unknown').length} with unknown outcome, ${new Set(final.map((r) => r.value.split('-')[0])).size} visible`);
  assert.deepEqual(anomalies.partialTransactions, [], 'no transaction is visible in part');
  assert.deepEqual(anomalies.lostTransactions, [], `every committed transaction is visible whole\n${producer.stderr()}`);
  assert.deepEqual(anomalies.abortedReads, [], 'no aborted transaction is visible');
});
