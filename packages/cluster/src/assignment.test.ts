import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignReplicas, assignReplicasRackAware } from './assignment.ts';

test('every partition gets distinct replicas, and leaders are spread evenly', () => {
  for (let seed = 0; seed < 9; seed++) {
    const assignment = assignReplicas([1, 2, 3], 6, 3, (below) => seed % below);
    const leaders = new Map<number, number>();
    for (const replicas of assignment) {
      assert.equal(new Set(replicas).size, 3);
      leaders.set(replicas[0], (leaders.get(replicas[0]) ?? 0) + 1);
    }
    assert.deepEqual([...leaders.values()], [2, 2, 2]);
  }
});

test('replication factor 2 of 4 brokers: followers are spread over the other brokers', () => {
  const assignment = assignReplicas([0, 1, 2, 3], 8, 2, () => 0);
  assert.deepEqual(assignment, [[0, 1], [1, 2], [2, 3], [3, 0], [0, 2], [1, 3], [2, 0], [3, 1]]);
});

test('a replication factor above the broker count is refused', () => {
  assert.throws(() => assignReplicas([1, 2], 1, 3, () => 0), /replication factor 3 is larger than the 2 available brokers/);
});

test('rack-aware: each partition\'s replicas are on as many racks as they can be, and leaders are spread', () => {
  const racks = new Map([[1, 'a'], [2, 'a'], [3, 'b'], [4, 'b'], [5, 'c'], [6, 'c']]);
  for (let seed = 0; seed < 12; seed++) {
    const assignment = assignReplicasRackAware(racks, 12, 3, (below) => seed % below);
    const leaders = new Map<number, number>();
    for (const replicas of assignment) {
      assert.equal(new Set(replicas).size, 3);
      assert.equal(new Set(replicas.map((r) => racks.get(r))).size, 3, `replicas ${replicas} share a rack`);
      leaders.set(replicas[0], (leaders.get(replicas[0]) ?? 0) + 1);
    }
    assert.deepEqual([...leaders.values()], [2, 2, 2, 2, 2, 2]);
  }
});

test('rack-aware with more replicas than racks: every rack gets one before any gets two', () => {
  const racks = new Map([[1, 'a'], [2, 'a'], [3, 'b'], [4, 'b']]);
  for (const replicas of assignReplicasRackAware(racks, 8, 3, () => 1)) {
    assert.equal(new Set(replicas).size, 3);
    assert.equal(new Set(replicas.map((r) => racks.get(r))).size, 2);
  }
});
