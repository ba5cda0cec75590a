import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preferredReadReplica, type ReadReplicaChoice } from './read-replica.ts';

const racks: Record<number, string | null> = { 1: 'a', 2: 'b', 3: 'c', 4: 'c', 5: null };
const choice = (over: Partial<ReadReplicaChoice>): ReadReplicaChoice => ({
  leaderId: 1,
  clientRack: 'c',
  isr: [1, 2, 3, 4],
  rackOf: (id) => racks[id],
  followerEndOffset: (id) => ({ 2: 100, 3: 90, 4: 95 } as Record<number, number>)[id],
  fetchOffset: 50,
  ...over,
});

test('a consumer in a rack without the leader reads from the in-sync follower of its rack that is furthest along', () => {
  assert.equal(preferredReadReplica(choice({})), 4);
  assert.equal(preferredReadReplica(choice({ clientRack: 'b' })), 2);
});

test('the leader when the consumer names no rack, shares the leader\'s, or no follower of its rack qualifies', () => {
  assert.equal(preferredReadReplica(choice({ clientRack: '' })), null);
  assert.equal(preferredReadReplica(choice({ clientRack: 'a' })), null);
  assert.equal(preferredReadReplica(choice({ clientRack: 'z' })), null);
  assert.equal(preferredReadReplica(choice({ isr: [1, 2] })), null, 'out of the ISR');
  assert.equal(preferredReadReplica(choice({ fetchOffset: 96 })), null, 'neither reaches the offset asked for');
  assert.equal(preferredReadReplica(choice({ fetchOffset: 92 })), 4, 'only one holds it');
});
