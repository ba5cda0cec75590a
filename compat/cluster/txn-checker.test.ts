import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTransactions, type TxnOutcome } from './txn-checker.ts';

const read = (consumer: string, value: string, partition: number, offset: number) => ({ consumer, value, partition, offset });

test('committed transactions read whole and an unknown one absent make a clean transactional history', () => {
  const outcomes = new Map<number, TxnOutcome>([[0, 'committed'], [1, 'unknown'], [2, 'committed']]);
  const final = [read('final', '0-0', 0, 0), read('final', '0-1', 1, 0), read('final', '2-0', 0, 3), read('final', '2-1', 1, 3)];
  const anomalies = checkTransactions(outcomes, 2, [read('c', '0-0', 0, 0), read('c', '2-0', 0, 3)], final);
  assert.ok(Object.values(anomalies).every((list) => list.length === 0), JSON.stringify(anomalies));
});

test('aborted reads, partial and lost transactions, and a consumer going back are each found', () => {
  const outcomes = new Map<number, TxnOutcome>([[0, 'committed'], [1, 'aborted'], [2, 'unknown'], [3, 'committed']]);
  const final = [read('final', '0-0', 0, 0), read('final', '2-0', 0, 5)];
  const polls = [read('c', '1-1', 1, 2), read('c', '0-0', 0, 4), read('c', '0-0', 0, 0)];
  const anomalies = checkTransactions(outcomes, 2, polls, final);
  assert.deepEqual(anomalies.abortedReads.map((r) => r.value), ['1-1']);
  assert.deepEqual(anomalies.partialTransactions, [{ txn: 0, records: 1 }, { txn: 2, records: 1 }]);
  assert.deepEqual(anomalies.lostTransactions, [{ txn: 0, records: 1 }, { txn: 3, records: 0 }]);
  assert.deepEqual(anomalies.nonMonotonicTxnReads, [{ consumer: 'c', partition: 0, offset: 0, after: 4 }]);
});
