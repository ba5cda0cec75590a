import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from './consumer-protocol.ts';

test('a subscription round-trips with owned partitions and generation', () => {
  const s = { topics: ['b', 'a'], owned: new Map([['a', [2, 0]]]), generationId: 7, userData: Buffer.from('x') };
  const decoded = decodeSubscription(encodeSubscription(s));
  assert.deepEqual(decoded.topics, ['a', 'b']);
  assert.deepEqual([...decoded.owned], [['a', [0, 2]]]);
  assert.equal(decoded.generationId, 7);
  assert.deepEqual(decoded.userData, Buffer.from('x'));
});

test('a subscription that announces v1 but carries only v0 fields (as KafkaJS writes it) is read', () => {
  // version 1, topics ["orders"], user data null: no owned-partitions array follows.
  const kafkajs = Buffer.from('0001' + '00000001' + '0006' + Buffer.from('orders').toString('hex') + 'ffffffff', 'hex');
  const decoded = decodeSubscription(kafkajs);
  assert.deepEqual(decoded.topics, ['orders']);
  assert.equal(decoded.owned.size, 0);
});

test('an assignment round-trips with its user data; an empty one (a member given nothing) reads as no partitions', () => {
  const assigned = new Map([['t', [3, 1]], ['u', [0]]]);
  assert.deepEqual([...decodeAssignment(encodeAssignment(assigned)).partitions], [['t', [1, 3]], ['u', [0]]]);
  assert.deepEqual(decodeAssignment(encodeAssignment(assigned, Buffer.from('hosts'))).userData, Buffer.from('hosts'));
  assert.equal(decodeAssignment(encodeAssignment(assigned)).userData, null);
  assert.equal(decodeAssignment(Buffer.alloc(0)).partitions.size, 0);
});
