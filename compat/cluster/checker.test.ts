import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check } from './checker.ts';

const ack = (value: string, partition: number, offset: number) => ({ value, partition, offset });
const read = (consumer: string, value: string, partition: number, offset: number) => ({ consumer, value, partition, offset });
const all = (...values: string[]) => new Set(values);

test('a clean history has no anomalies', () => {
  const acks = [ack('a', 0, 0), ack('b', 0, 1), ack('c', 1, 0)];
  const final = [read('final', 'a', 0, 0), read('final', 'b', 0, 1), read('final', 'c', 1, 0), read('final', 'd', 1, 1)];
  const result = check(acks, all('a', 'b', 'c', 'd'), [read('c1', 'a', 0, 0), read('c1', 'b', 0, 1)], final);
  assert.equal(result.valid, true, JSON.stringify(result.anomalies));
});

test('an acknowledgement without an offset counts once its value is there, anywhere; a missing one is still lost', () => {
  const acks = [{ value: 'a', partition: 0, offset: null }, { value: 'b', partition: 0, offset: null }];
  const result = check(acks, all('a', 'b'), [], [read('final', 'a', 0, 7)]);
  assert.deepEqual(result.anomalies.misplaced, []);
  assert.deepEqual(result.anomalies.lost.map((a) => a.value), ['b']);
});

test('each anomaly is found', () => {
  const acks = [ack('a', 0, 0), ack('b', 0, 1), ack('lost', 0, 2), ack('moved', 1, 0)];
  const final = [read('final', 'a', 0, 0), read('final', 'b', 0, 1), read('final', 'b', 0, 3), read('final', 'moved', 1, 5), read('final', 'ghost', 1, 6)];
  const polls = [read('c1', 'a', 0, 0), read('c1', 'x', 0, 1), read('c1', 'a', 0, 0)];
  const result = check(acks, all('a', 'b', 'lost', 'moved', 'x'), polls, final);
  assert.equal(result.valid, false);
  assert.deepEqual(result.anomalies.lost.map((a) => a.value), ['lost']);
  assert.deepEqual(result.anomalies.misplaced.map((m) => m.ack.value), ['moved']);
  assert.deepEqual(result.anomalies.inconsistentOffsets, [{ partition: 0, offset: 1, values: ['b', 'x'] }]);
  assert.deepEqual(result.anomalies.duplicates, [{ value: 'b', at: ['0/1', '0/3'] }]);
  assert.deepEqual(result.anomalies.unknownReads.map((r) => r.value), ['ghost']);
  assert.deepEqual(result.anomalies.nonMonotonic, [{ consumer: 'c1', partition: 0, offset: 0, after: 1 }]);
});
