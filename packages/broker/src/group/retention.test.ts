import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildBrokerConfig } from '../config/broker-config.ts';
import { TopicManager } from '../topic-manager.ts';
import { GroupCoordinator } from './coordinator.ts';
import { OffsetStore } from './offset-store.ts';
import { ManualTimers } from './timers.ts';

const dir = mkdtempSync(join(tmpdir(), 'millrace-retention-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const RETENTION = 60_000;

test("offsets expire offsets.retention.minutes after a group's last member left, and not while it has members", async () => {
  const timers = new ManualTimers();
  const topics = await TopicManager.open(dir, buildBrokerConfig({}), () => timers.now());
  await topics.createTopic('t', 1, {});
  const offsets = await OffsetStore.open(topics, 2, 1 << 20);
  const coordinator = new GroupCoordinator(offsets, { offsetsRetentionMs: RETENTION, minSessionTimeoutMs: 1, maxSessionTimeoutMs: 1e9, initialRebalanceDelayMs: 0, maxMetadataBytes: 4096 }, timers);
  const commit = (group: string) => offsets.commit(group, [{ topic: 't', partition: 0, offset: { offset: 1, leaderEpoch: -1, metadata: '', commitTimestamp: timers.now() } }]);

  await commit('standalone');
  const active = coordinator.groupOrCreate('active');
  active.join({ memberId: '', groupInstanceId: 'i', clientId: 'c', clientHost: 'h', sessionTimeoutMs: 10 * RETENTION, rebalanceTimeoutMs: 1000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], requireKnownMemberId: false }, () => {});
  await commit('active');

  timers.advance(RETENTION - 1);
  assert.deepEqual(await coordinator.expireOffsets(), []);
  timers.advance(1);
  assert.deepEqual(await coordinator.expireOffsets(), ['standalone'], 'the group without members expires; the active one does not');
  assert.equal(offsets.fetch('standalone', 't', 0), undefined);
  assert.ok(offsets.fetch('active', 't', 0));

  const memberId = [...active.members.keys()][0];
  active.leave(memberId, 'i');
  timers.advance(RETENTION - 1);
  assert.deepEqual(await coordinator.expireOffsets(), [], 'counted from when it became empty, not from the commit');
  timers.advance(1);
  assert.deepEqual(await coordinator.expireOffsets(), ['active']);
  await topics.close();

  const reopened = await TopicManager.open(dir, buildBrokerConfig({}), () => timers.now());
  const reloaded = await OffsetStore.open(reopened, 2, 1 << 20);
  assert.deepEqual(reloaded.groupIds(), [], 'the expiry is durable');
  await reopened.close();
});
