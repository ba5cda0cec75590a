import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignRoundRobin, decodeAssignment, decodeWorkerState, encodeAssignment, encodeWorkerState } from './connect-protocol.ts';

test('worker metadata is version 0, the REST URL and the config offset, as Kafka Connect lays them out', () => {
  const bytes = encodeWorkerState({ url: 'http://w:8083/', configOffset: 5n });
  assert.deepEqual(bytes, Buffer.concat([Buffer.from([0, 0, 0, 14]), Buffer.from('http://w:8083/'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 5])]));
  assert.deepEqual(decodeWorkerState(bytes), { url: 'http://w:8083/', configOffset: 5n });
});

test('an assignment lists each connector with -1 for its instance, then its task ids', () => {
  const assignment = { error: 0, leader: 'm1', leaderUrl: 'http://a/', configOffset: 7n, connectors: ['c'], tasks: [{ connector: 'c', task: 1 }, { connector: 'd', task: 0 }] };
  const bytes = encodeAssignment(assignment);
  const expected = Buffer.concat([
    Buffer.from([0, 0, 0, 0]), Buffer.from([0, 2]), Buffer.from('m1'), Buffer.from([0, 9]), Buffer.from('http://a/'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 7]),
    Buffer.from([0, 0, 0, 2]),
    Buffer.from([0, 1]), Buffer.from('c'), Buffer.from([0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1]),
    Buffer.from([0, 1]), Buffer.from('d'), Buffer.from([0, 0, 0, 1, 0, 0, 0, 0]),
  ]);
  assert.deepEqual(bytes, expected);
  assert.deepEqual(decodeAssignment(bytes), assignment);
});

test('round robin spreads connectors and tasks evenly in member order', () => {
  const tasks = [0, 1, 2].map((task) => ({ connector: 'a', task }));
  const result = assignRoundRobin(['w2', 'w1'], ['b', 'a'], tasks);
  assert.deepEqual(result.get('w1'), { connectors: ['a'], tasks: [{ connector: 'a', task: 0 }, { connector: 'a', task: 2 }] });
  assert.deepEqual(result.get('w2'), { connectors: ['b'], tasks: [{ connector: 'a', task: 1 }] });
});
