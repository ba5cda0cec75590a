import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Assignor, cooperativeStickyAssignor, type GroupMemberInfo, rangeAssignor, roundRobinAssignor } from './assignors.ts';
import type { TopicPartitions } from './consumer-protocol.ts';

function member(memberId: string, topics: string[], owned: Record<string, number[]> = {}, generationId = 1, groupInstanceId: string | null = null): GroupMemberInfo {
  return { memberId, groupInstanceId, subscription: { topics, owned: new Map(Object.entries(owned)), generationId, userData: null } };
}

function plain(assignment: Map<string, TopicPartitions>): Record<string, Record<string, number[]>> {
  return Object.fromEntries([...assignment].map(([m, tps]) => [m, Object.fromEntries([...tps].map(([t, ps]) => [t, [...ps].sort((a, b) => a - b)]))]));
}

function counts(assignment: Map<string, TopicPartitions>): number[] {
  return [...assignment.values()].map((tps) => [...tps.values()].reduce((n, ps) => n + ps.length, 0));
}

/** Every partition of every topic exactly once. */
function assertComplete(assignment: Map<string, TopicPartitions>, partitionCounts: Map<string, number>): void {
  const seen = new Set<string>();
  for (const tps of assignment.values()) for (const [t, ps] of tps) for (const p of ps) {
    assert.ok(!seen.has(`${t}-${p}`), `${t}-${p} assigned twice`);
    seen.add(`${t}-${p}`);
  }
  assert.equal(seen.size, [...partitionCounts.values()].reduce((a, b) => a + b, 0));
}

test('range: contiguous ranges per topic, the first members taking the extra partitions (as the Java RangeAssignor)', () => {
  const counts3 = new Map([['a', 7], ['b', 2]]);
  const result = plain(rangeAssignor.assign([member('m2', ['a', 'b']), member('m1', ['a']), member('m3', ['a', 'b'])], counts3));
  assert.deepEqual(result, { m2: { a: [3, 4], b: [0] }, m1: { a: [0, 1, 2] }, m3: { a: [5, 6], b: [1] } });
});

test('range: static members are ordered by instance id, before dynamic ones', () => {
  const result = plain(rangeAssignor.assign([member('z', ['t'], {}, 1, 'instance-a'), member('a', ['t'])], new Map([['t', 3]])));
  assert.deepEqual(result, { z: { t: [0, 1] }, a: { t: [2] } });
});

test('roundrobin: partitions dealt in turn, skipping members not subscribed to the topic', () => {
  const result = plain(roundRobinAssignor.assign([member('m1', ['a', 'b']), member('m2', ['b'])], new Map([['a', 2], ['b', 3]])));
  assert.deepEqual(result, { m1: { a: [0, 1], b: [1] }, m2: { b: [0, 2] } });
});

test('cooperative-sticky: a fresh group is balanced and complete', () => {
  const partitionCounts = new Map([['a', 10], ['b', 3]]);
  const assignment = cooperativeStickyAssignor.assign([member('m1', ['a', 'b']), member('m2', ['a', 'b']), member('m3', ['a', 'b'])], partitionCounts);
  assertComplete(assignment, partitionCounts);
  const c = counts(assignment).sort();
  assert.ok(c[2] - c[0] <= 1, `balanced: ${c}`);
});

test('cooperative-sticky: a new member gets partitions only in the second round, and nobody else loses more than needed', () => {
  const partitionCounts = new Map([['t', 6]]);
  const first = cooperativeStickyAssignor.assign([member('m1', ['t'], { t: [0, 1, 2] }), member('m2', ['t'], { t: [3, 4, 5] }), member('m3', ['t'])], partitionCounts);
  // Round one: m1 and m2 each give up one partition; m3 gets nothing yet (those partitions are being revoked).
  const r1 = plain(first);
  assert.equal(r1.m1.t.length, 2);
  assert.equal(r1.m2.t.length, 2);
  assert.deepEqual(r1.m3, {});
  for (const p of r1.m1.t) assert.ok([0, 1, 2].includes(p), 'm1 keeps its own partitions');
  for (const p of r1.m2.t) assert.ok([3, 4, 5].includes(p), 'm2 keeps its own partitions');
  // Round two: the members rejoin owning what they kept; the freed partitions go to m3.
  const second = cooperativeStickyAssignor.assign([member('m1', ['t'], { t: r1.m1.t }, 2), member('m2', ['t'], { t: r1.m2.t }, 2), member('m3', ['t'], {}, 2)], partitionCounts);
  assertComplete(second, partitionCounts);
  const r2 = plain(second);
  assert.deepEqual(r2.m1, r1.m1);
  assert.deepEqual(r2.m2, r1.m2);
  assert.equal(r2.m3.t.length, 2);
});

test('cooperative-sticky: a departed member\'s partitions go to the others at once, the rest stay put', () => {
  const partitionCounts = new Map([['t', 6]]);
  const result = plain(cooperativeStickyAssignor.assign([member('m1', ['t'], { t: [0, 1] }), member('m2', ['t'], { t: [2, 3] })], partitionCounts));
  assert.deepEqual(result.m1.t.filter((p) => p < 2), [0, 1]);
  assert.deepEqual(result.m2.t.filter((p) => p >= 2 && p < 4), [2, 3]);
  assert.equal(result.m1.t.length + result.m2.t.length, 6);
  assert.equal(result.m1.t.length, 3);
});

test('cooperative-sticky: two members claiming one partition: the newer generation keeps it', () => {
  const result = plain(cooperativeStickyAssignor.assign([member('old', ['t'], { t: [0] }, 1), member('new', ['t'], { t: [0] }, 2)], new Map([['t', 2]])));
  assert.deepEqual(result.new.t, [0]);
  assert.deepEqual(result.old.t, [1]);
});

test('cooperative-sticky: members with different subscriptions only get their topics, balanced where they overlap', () => {
  const partitionCounts = new Map([['a', 4], ['b', 4]]);
  const assignment = cooperativeStickyAssignor.assign([member('m1', ['a']), member('m2', ['a', 'b']), member('m3', ['b'])], partitionCounts);
  assertComplete(assignment, partitionCounts);
  const r = plain(assignment);
  assert.deepEqual(Object.keys(r.m1), ['a']);
  assert.deepEqual(Object.keys(r.m3), ['b']);
  const c = counts(assignment).sort();
  assert.ok(c[2] - c[0] <= 1, `balanced: ${c}`);
});

test('every assignor ignores owned partitions of topics that shrank or are no longer subscribed', () => {
  for (const assignor of [cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor] as Assignor[]) {
    const partitionCounts = new Map([['t', 2]]);
    const assignment = assignor.assign([member('m1', ['t'], { t: [0, 5], gone: [1] }), member('m2', ['t'])], partitionCounts);
    assertComplete(assignment, partitionCounts);
  }
});
