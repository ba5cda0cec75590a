// The transaction coordinator on its own, with a clock the test moves: timeouts abort and fence,
// idle transactional ids expire, and both survive a reload of __transaction_state.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ErrorCode } from '@millrace/protocol';
import { buildBrokerConfig } from '../config/broker-config.ts';
import { OffsetStore } from '../group/offset-store.ts';
import { silentLogger } from '../logger.ts';
import { ProducerIdManager } from '../producer-ids.ts';
import { TopicManager } from '../topic-manager.ts';
import { localMarkerWriter } from './marker-writers.ts';
import { TransactionCoordinator } from './txn-coordinator.ts';
import { TxnStatus } from './txn-records.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function coordinatorAt(dir: string, clock: { now: number }) {
  const now = () => clock.now;
  const topics = await TopicManager.open(dir, buildBrokerConfig({}), now);
  const offsets = await OffsetStore.open(topics, 2, 1 << 20);
  const coordinator = await TransactionCoordinator.open(topics, offsets, await ProducerIdManager.open(dir), { partitionCount: 2, segmentBytes: 1 << 20, maxTimeoutMs: 900_000, now, log: silentLogger });
  await coordinator.start(localMarkerWriter({ topics, log: silentLogger, replication: null, stopping: new AbortController().signal, groups: { offsets } }));
  return { topics, coordinator };
}

test('a transaction open past its timeout is aborted with a bumped epoch, fencing its producer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-txn-'));
  dirs.push(dir);
  const clock = { now: 1_000_000 };
  const { topics, coordinator } = await coordinatorAt(dir, clock);
  await topics.createTopic('orders', 1, {});
  const { producerId, producerEpoch } = await coordinator.initProducerId('slow', 5_000, { producerId: -1, producerEpoch: -1 });
  assert.equal((await coordinator.addPartitions('slow', producerId, producerEpoch, [{ topic: 'orders', partition: 0 }], ErrorCode.PRODUCER_FENCED)).get('orders\u00000'), ErrorCode.NONE);
  clock.now += 5_000;
  assert.deepEqual(await coordinator.abortTimedOut(), [], 'not past the timeout yet');
  clock.now += 1;
  assert.deepEqual(await coordinator.abortTimedOut(), ['slow']);
  assert.equal(coordinator.describe('slow')?.status, TxnStatus.COMPLETE_ABORT);
  assert.equal(coordinator.describe('slow')?.producerEpoch, producerEpoch + 1);
  assert.equal(await coordinator.endTransaction('slow', producerId, producerEpoch, true, ErrorCode.PRODUCER_FENCED), ErrorCode.PRODUCER_FENCED);
  assert.equal(topics.partition('orders', 0)!.log.logEndOffset, 1, 'the abort marker was written');
  await topics.close();

  const reloaded = await coordinatorAt(dir, clock);
  assert.equal(reloaded.coordinator.describe('slow')?.status, TxnStatus.COMPLETE_ABORT);
  await reloaded.topics.close();
});

test('transactional ids idle for transactional.id.expiration.ms are forgotten, durably', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-txn-'));
  dirs.push(dir);
  const clock = { now: 1_000_000 };
  const { topics, coordinator } = await coordinatorAt(dir, clock);
  await coordinator.initProducerId('idle', 60_000, { producerId: -1, producerEpoch: -1 });
  clock.now += 10_000;
  await coordinator.initProducerId('busy', 60_000, { producerId: -1, producerEpoch: -1 });
  clock.now += 5_000;
  assert.deepEqual(await coordinator.expireTransactionalIds(12_000), ['idle']);
  assert.equal(coordinator.describe('idle'), undefined);
  assert.ok(coordinator.describe('busy'));
  await topics.close();
  const reloaded = await coordinatorAt(dir, clock);
  assert.equal(reloaded.coordinator.describe('idle'), undefined);
  assert.ok(reloaded.coordinator.describe('busy'));
  await reloaded.topics.close();
});
