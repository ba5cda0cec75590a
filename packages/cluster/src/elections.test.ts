import assert from 'node:assert/strict';
import { test } from 'node:test';
import { electLeader, electPreferred, electUnclean } from './elections.ts';

const alive = (...ids: number[]) => (id: number) => ids.includes(id);
const state = (leader: number, leaderEpoch: number, isr: number[]) => ({ leader, leaderEpoch, isr, controllerEpoch: 1 });

test('a live leader with every ISR member alive needs no change', () => {
  assert.equal(electLeader([1, 2, 3], state(1, 4, [1, 2, 3]), alive(1, 2, 3), false), null);
});

test('a dead follower leaves the ISR; the leader and its epoch stay', () => {
  assert.deepEqual(electLeader([1, 2, 3], state(1, 4, [1, 2, 3]), alive(1, 2), false), { leader: 1, leaderEpoch: 4, isr: [1, 2] });
});

test('a dead leader is replaced by the first live ISR member in assignment order, with the epoch bumped', () => {
  assert.deepEqual(electLeader([1, 2, 3], state(1, 4, [3, 2, 1]), alive(2, 3), false), { leader: 2, leaderEpoch: 5, isr: [3, 2] });
});

test('a live replica outside the ISR is not elected cleanly', () => {
  assert.deepEqual(electLeader([1, 2, 3], state(1, 4, [1]), alive(2, 3), false), { leader: -1, leaderEpoch: 5, isr: [1] });
});

test('the last ISR member stays in the ISR while dead, and is elected when it returns', () => {
  const offline = electLeader([1, 2, 3], state(2, 6, [2]), alive(1, 3), false)!;
  assert.deepEqual(offline, { leader: -1, leaderEpoch: 7, isr: [2] });
  assert.equal(electLeader([1, 2, 3], { ...offline, controllerEpoch: 1 }, alive(1, 3), false), null);
  assert.deepEqual(electLeader([1, 2, 3], { ...offline, controllerEpoch: 1 }, alive(1, 2, 3), false), { leader: 2, leaderEpoch: 8, isr: [2] });
});

test('unclean election takes the first live replica, alone in the ISR', () => {
  assert.deepEqual(electLeader([1, 2, 3], state(1, 4, [1]), alive(3, 2), true), { leader: 2, leaderEpoch: 5, isr: [2] });
});

test('preferred election: the first replica leads again once it is alive and in the ISR', () => {
  assert.deepEqual(electPreferred([1, 2, 3], state(2, 5, [2, 3]), alive(1, 2, 3)), { outcome: 'not-available' }, 'not in the ISR yet');
  assert.deepEqual(electPreferred([1, 2, 3], state(2, 5, [2, 3, 1]), alive(1, 2, 3)), { outcome: 'elect', next: { leader: 1, leaderEpoch: 6, isr: [2, 3, 1] } });
  assert.deepEqual(electPreferred([1, 2, 3], state(1, 6, [1, 2, 3]), alive(1, 2, 3)), { outcome: 'not-needed' });
});

test('unclean election on request: only where no live leader is, taking any live replica', () => {
  assert.deepEqual(electUnclean([1, 2, 3], state(1, 4, [1, 2]), alive(1, 2, 3)), { outcome: 'not-needed' });
  assert.deepEqual(electUnclean([1, 2, 3], state(-1, 5, [1]), alive(2, 3)), { outcome: 'elect', next: { leader: 2, leaderEpoch: 6, isr: [2] } });
  assert.deepEqual(electUnclean([1, 2, 3], state(-1, 5, [1]), alive()), { outcome: 'not-available' });
});
