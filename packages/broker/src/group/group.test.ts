import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '@millrace/protocol';
import { Group, GroupState } from './group.ts';
import type { JoinParams, JoinResult, SyncResult } from './members.ts';
import { ManualTimers } from './timers.ts';

const SESSION = 10_000;
const REBALANCE = 30_000;

function setup(initialRebalanceDelayMs = 0) {
  const timers = new ManualTimers();
  return { timers, group: new Group('g', timers, { initialRebalanceDelayMs }) };
}

function params(init: Partial<JoinParams> = {}): JoinParams {
  return {
    memberId: '', groupInstanceId: null, clientId: 'c', clientHost: '/127.0.0.1', sessionTimeoutMs: SESSION, rebalanceTimeoutMs: REBALANCE,
    protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.from('sub') }], requireKnownMemberId: true, ...init,
  };
}

/** Calls join and returns a holder that fills in when the group answers. */
function join(group: Group, init: Partial<JoinParams> = {}): { result: JoinResult | null } {
  const holder: { result: JoinResult | null } = { result: null };
  group.join(params(init), (r) => (holder.result = r));
  return holder;
}

function sync(group: Group, memberId: string, generation: number, assignments: { memberId: string; assignment: Buffer }[] = [], instance: string | null = null) {
  const holder: { result: SyncResult | null } = { result: null };
  group.sync(memberId, instance, generation, assignments, (r) => (holder.result = r));
  return holder;
}

/** True while the group has not answered yet (a function, so TypeScript does not narrow the holder). */
function isPending(holder: { result: unknown }): boolean {
  return holder.result === null;
}

/** Two-phase join of a new dynamic member: MEMBER_ID_REQUIRED, then the real join. */
function joinNew(group: Group, init: Partial<JoinParams> = {}) {
  const first = join(group, init);
  assert.equal(first.result?.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  return join(group, { ...init, memberId: first.result!.memberId });
}

test('two-phase join, leader gets the members, sync hands out the assignments', () => {
  const { group } = setup();
  const a = joinNew(group);
  assert.equal(a.result?.errorCode, 0);
  assert.equal(a.result!.generationId, 1);
  assert.equal(a.result!.leader, a.result!.memberId);
  assert.equal(a.result!.members.length, 1);
  assert.equal(group.state, GroupState.COMPLETING_REBALANCE);
  const s = sync(group, a.result!.memberId, 1, [{ memberId: a.result!.memberId, assignment: Buffer.from('p0') }]);
  assert.equal(s.result?.assignment.toString(), 'p0');
  assert.equal(group.state, GroupState.STABLE);
});

test('a new member triggers a rebalance: the others learn it by heartbeat and rejoin', () => {
  const { group } = setup();
  const a = joinNew(group);
  const aId = a.result!.memberId;
  sync(group, aId, 1, [{ memberId: aId, assignment: Buffer.from('all') }]);
  const b = joinNew(group);
  assert.ok(isPending(b), 'b waits for a to rejoin');
  assert.equal(group.heartbeat(aId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
  const a2 = join(group, { memberId: aId });
  assert.equal(a2.result?.generationId, 2);
  assert.equal(b.result?.generationId, 2);
  assert.equal(a2.result!.members.length, 2, 'the leader stays and sees both members');
  assert.equal(b.result!.members.length, 0);
  const sb = sync(group, b.result!.memberId, 2);
  assert.ok(isPending(sb), 'a follower waits for the leader');
  const sa = sync(group, aId, 2, [{ memberId: aId, assignment: Buffer.from('p0') }, { memberId: b.result!.memberId, assignment: Buffer.from('p1') }]);
  assert.equal(sa.result?.assignment.toString(), 'p0');
  assert.equal(sb.result?.assignment.toString(), 'p1');
  assert.equal(group.heartbeat(aId, null, 1), ErrorCode.ILLEGAL_GENERATION);
});

test('a member that stops heartbeating is removed after its session timeout', () => {
  const { group, timers } = setup();
  const a = joinNew(group);
  const aId = a.result!.memberId;
  const b = joinNew(group);
  join(group, { memberId: aId });
  const bId = b.result!.memberId;
  sync(group, aId, 2, []);
  timers.advance(SESSION / 2);
  assert.equal(group.heartbeat(aId, null, 2), 0);
  timers.advance(SESSION / 2 + 1);
  assert.ok(!group.members.has(bId), 'b expired');
  assert.equal(group.state, GroupState.PREPARING_REBALANCE);
  assert.equal(group.heartbeat(bId, null, 2), ErrorCode.UNKNOWN_MEMBER_ID);
  const a3 = join(group, { memberId: aId });
  assert.equal(a3.result?.generationId, 3);
  assert.deepEqual(a3.result!.members.map((m) => m.memberId), [aId]);
});

test('members that do not rejoin within the rebalance timeout are dropped', () => {
  const { group, timers } = setup();
  const a = joinNew(group);
  const b = joinNew(group);
  join(group, { memberId: a.result!.memberId });
  sync(group, a.result!.memberId, 2, []);
  const c = joinNew(group);
  join(group, { memberId: a.result!.memberId });
  assert.ok(isPending(c));
  timers.advance(REBALANCE);
  assert.equal(c.result?.generationId, 3);
  assert.ok(!group.members.has(b.result!.memberId));
});

test('a static member restarting with the same subscription keeps its assignment without a rebalance', () => {
  const { group } = setup();
  const a = join(group, { groupInstanceId: 'instance-a' });
  const oldId = a.result!.memberId;
  assert.equal(a.result?.errorCode, 0, 'static members skip MEMBER_ID_REQUIRED');
  sync(group, oldId, 1, [{ memberId: oldId, assignment: Buffer.from('mine') }], 'instance-a');
  const again = join(group, { groupInstanceId: 'instance-a' });
  assert.equal(again.result?.errorCode, 0);
  assert.equal(again.result!.generationId, 1, 'no new generation');
  assert.notEqual(again.result!.memberId, oldId);
  assert.equal(group.state, GroupState.STABLE);
  const s = sync(group, again.result!.memberId, 1, [], 'instance-a');
  assert.equal(s.result?.assignment.toString(), 'mine');
  assert.equal(group.heartbeat(oldId, 'instance-a', 1), ErrorCode.FENCED_INSTANCE_ID, 'the old incarnation is fenced');
});

test('a leader rejoining a stable group starts a rebalance that completes once the others rejoin', () => {
  const { group } = setup();
  const a = joinNew(group);
  const aId = a.result!.memberId;
  const b = joinNew(group);
  join(group, { memberId: aId });
  const bId = b.result!.memberId;
  sync(group, aId, 2, [{ memberId: aId, assignment: Buffer.from('a') }, { memberId: bId, assignment: Buffer.from('b') }]);
  const leaderAgain = join(group, { memberId: aId });
  assert.ok(isPending(leaderAgain));
  assert.equal(group.heartbeat(bId, null, 2), ErrorCode.REBALANCE_IN_PROGRESS);
  const bAgain = join(group, { memberId: bId });
  assert.equal(leaderAgain.result?.generationId, 3);
  assert.equal(bAgain.result?.generationId, 3);
  assert.equal(leaderAgain.result!.members.length, 2);
});

test('errors: unknown member, wrong generation, inconsistent protocols, sync during a rebalance', () => {
  const { group } = setup();
  const a = joinNew(group);
  const aId = a.result!.memberId;
  assert.equal(group.heartbeat('nobody', null, 1), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(sync(group, aId, 7).result?.errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal(join(group, { protocolType: 'connect' }).result?.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal(join(group, { protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }).result?.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  sync(group, aId, 1, []);
  joinNew(group);
  assert.equal(sync(group, aId, 1).result?.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
});

test('the protocol every member supports and most prefer is chosen', () => {
  const { group } = setup();
  const meta = Buffer.alloc(0);
  const a = joinNew(group, { protocols: [{ name: 'cooperative-sticky', metadata: meta }, { name: 'range', metadata: meta }] });
  sync(group, a.result!.memberId, 1, []);
  const b = joinNew(group, { protocols: [{ name: 'range', metadata: meta }] });
  join(group, { memberId: a.result!.memberId, protocols: [{ name: 'cooperative-sticky', metadata: meta }, { name: 'range', metadata: meta }] });
  assert.equal(b.result?.protocolName, 'range');
});

test('leaving members trigger a rebalance; the last one leaves the group empty', () => {
  const { group } = setup();
  const a = joinNew(group);
  const b = joinNew(group);
  join(group, { memberId: a.result!.memberId });
  sync(group, a.result!.memberId, 2, []);
  assert.equal(group.leave(b.result!.memberId, null), 0);
  assert.equal(group.state, GroupState.PREPARING_REBALANCE);
  assert.equal(group.leave('nobody', null), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(group.leave(a.result!.memberId, null), 0);
  assert.equal(group.state, GroupState.EMPTY);
});

test('the last member of a stable group leaving empties it at once', () => {
  const { group, timers } = setup();
  const a = joinNew(group);
  sync(group, a.result!.memberId, 1, []);
  assert.equal(group.leave(a.result!.memberId, null), 0);
  assert.equal(group.state, GroupState.EMPTY);
  assert.equal(group.generationId, 2);
  timers.advance(REBALANCE * 2);
  assert.equal(group.state, GroupState.EMPTY);
});

test('a group that was empty waits group.initial.rebalance.delay.ms for more members', () => {
  const { group, timers } = setup(3000);
  const a = joinNew(group);
  assert.ok(isPending(a));
  timers.advance(1000);
  const b = joinNew(group);
  assert.ok(isPending(b), 'still waiting for the delay');
  timers.advance(2000);
  assert.equal(a.result?.generationId, 1);
  assert.equal(a.result!.members.length, 2, 'both members are assigned together');
});
