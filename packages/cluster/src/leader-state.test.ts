import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeaderState } from './leader-state.ts';

test('the high watermark is the lowest end among ISR members, never past the leader', () => {
  const s = new LeaderState(1, 3, 0, [1, 2, 3], [1, 2, 3], 0);
  assert.equal(s.highWatermark(100, 1), 0);
  s.recordFetch(2, 80, 100, 10);
  s.recordFetch(3, 100, 100, 10);
  assert.equal(s.highWatermark(100, 1), 80);
  s.recordFetch(2, 120, 100, 20);
  assert.equal(s.highWatermark(100, 1), 100);
});

test('a replica outside the ISR does not hold the high watermark back, and rejoins once caught up', () => {
  const s = new LeaderState(1, 3, 50, [1, 2, 3], [1, 2], 0);
  s.recordFetch(2, 100, 100, 10);
  s.recordFetch(3, 40, 100, 10);
  assert.equal(s.highWatermark(100, 1), 100);
  assert.equal(s.replicaToAdd(100), null, 'not at the high watermark');
  s.recordFetch(3, 100, 100, 20);
  assert.equal(s.replicaToAdd(100), 3);
});

test('a follower below the epoch start offset may not rejoin, even at the high watermark', () => {
  const s = new LeaderState(1, 3, 60, [1, 2], [1], 0);
  s.recordFetch(2, 50, 70, 10);
  assert.equal(s.replicaToAdd(50), null);
});

test('below min.insync.replicas nothing more is committed', () => {
  const s = new LeaderState(1, 3, 0, [1, 2, 3], [1], 0);
  assert.equal(s.highWatermark(100, 2), null);
  assert.equal(s.highWatermark(100, 1), 100);
});

test('while an addition is in flight it already counts; a removal does not until stored', () => {
  const s = new LeaderState(1, 3, 0, [1, 2, 3], [1, 2], 0);
  s.recordFetch(2, 100, 100, 10);
  s.recordFetch(3, 90, 100, 10);
  s.pendingIsr = [1, 2, 3];
  assert.equal(s.highWatermark(100, 1), 90);
  s.isr = [1, 2, 3];
  s.pendingIsr = [1, 2];
  assert.equal(s.highWatermark(100, 1), 90);
});

test('a follower that stops fetching, or keeps falling behind, leaves the ISR after the lag time', () => {
  const s = new LeaderState(1, 3, 0, [1, 2, 3], [1, 2, 3], 0);
  s.recordFetch(2, 100, 100, 1_000);
  s.recordFetch(3, 100, 100, 1_000);
  // Follower 2 keeps fetching but each time is behind where the leader was at its previous fetch.
  for (let t = 2_000, end = 200; t <= 40_000; t += 1_000, end += 100) {
    s.recordFetch(2, end - 150, end, t);
    s.recordFetch(3, end, end, t);
  }
  assert.deepEqual(s.replicasToRemove(4_000, 40_000, 30_000), [2]);
  assert.deepEqual(s.replicasToRemove(4_000, 10_000, 30_000), []);
});
