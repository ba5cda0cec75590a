// What a replicated partition needs of its log: leader epochs, follower appends, truncation, and
// a high watermark set by replication.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FaultInjectingFs } from './fault-injecting-fs.ts';
import { NodeFs, type Fs } from './fs.ts';
import { LeaderEpochCache } from './leader-epochs.ts';
import { PartitionLog, type LogConfig } from './partition-log.ts';
import { baseOffsets, testBatch } from './test-batches.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-replication-'));
  dirs.push(dir);
  return dir;
}

const CONFIG: LogConfig = { segmentBytes: 4096, segmentMs: 7 * 24 * 3600_000, indexIntervalBytes: 256 };

function open(dir: string, fs: Fs = new NodeFs()) {
  return PartitionLog.open({ dir, fs, config: CONFIG, now: () => 1_000 });
}

test("endOffsetFor answers as Kafka's leader-epoch cache does", () => {
  const cache = LeaderEpochCache.empty(new NodeFs(), tempDir());
  cache.assign(1, 0);
  cache.assign(3, 10);
  cache.assign(4, 25);
  assert.deepEqual(cache.endOffsetFor(4, 40), { epoch: 4, endOffset: 40 }, 'the latest epoch ends at the log end');
  assert.deepEqual(cache.endOffsetFor(3, 40), { epoch: 3, endOffset: 25 });
  assert.deepEqual(cache.endOffsetFor(2, 40), { epoch: 1, endOffset: 10 }, 'an unknown epoch answers with the largest below it');
  assert.deepEqual(cache.endOffsetFor(0, 40), { epoch: 0, endOffset: 0 }, 'below every epoch: the first start offset');
  assert.deepEqual(cache.endOffsetFor(7, 40), { epoch: -1, endOffset: -1 });
  assert.deepEqual(cache.endOffsetFor(-1, 40), { epoch: -1, endOffset: -1 });
  assert.equal(cache.assign(2, 30), false, 'older epochs are ignored');
});

test('leader epochs of appended batches survive a restart; a new leader epoch is recorded at the log end', async () => {
  const dir = tempDir();
  const log = await open(dir);
  log.append(testBatch({ records: 3 }), 2, null);
  await log.flush();
  await log.assignLeaderEpoch(5);
  log.append(testBatch({ records: 2 }), 5, null);
  await log.flush();
  await log.close();
  const again = await open(dir);
  assert.deepEqual(again.leaderEpochs.list, [{ epoch: 2, startOffset: 0 }, { epoch: 5, startOffset: 3 }]);
  await again.close();
});

test('a follower appends the leader\'s batches as they are, and refuses batches that go back', async () => {
  const leader = await open(tempDir());
  leader.append(testBatch({ records: 4 }), 1, null);
  leader.append(testBatch({ records: 3 }), 2, null);
  await leader.flush();
  const fetched = await leader.read(0, 1 << 20, true, leader.durableEndOffset);
  const follower = await open(tempDir());
  follower.appendAsFollower(Buffer.from(fetched));
  await follower.flush();
  assert.equal(follower.logEndOffset, 7);
  assert.throws(() => follower.appendAsFollower(Buffer.from(fetched)), /cannot follow offset 7/);
  assert.equal(follower.logEndOffset, 7, 'nothing more was appended');
  assert.deepEqual(follower.leaderEpochs.list, [{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 4 }]);
  assert.deepEqual(await follower.read(0, 1 << 20, true, follower.durableEndOffset), fetched);
  await leader.close();
  await follower.close();
});

test('the replication high watermark caps what consumers see and only moves forward', async () => {
  const log = await open(tempDir());
  log.append(testBatch({ records: 10 }), 0, null);
  await log.flush();
  assert.equal(log.highWatermark, 10, 'a single broker: the durable end');
  log.setReplicationHighWatermark(0);
  assert.equal(log.highWatermark, 0);
  assert.equal(log.lastStableOffset, 0);
  log.setReplicationHighWatermark(6);
  log.setReplicationHighWatermark(4);
  assert.equal(log.highWatermark, 6);
  assert.equal(log.durableEndOffset, 10);
  await log.close();
});

test('truncateTo cuts at a batch boundary across segments; epochs, high watermark and appends follow, and a restart agrees', async () => {
  const dir = tempDir();
  const log = await open(dir);
  for (let i = 0; i < 30; i++) log.append(testBatch({ records: 2, payloadBytes: 1000 }), i < 20 ? 1 : 2, null);
  await log.flush();
  await log.checkpointRecoveryPoint();
  assert.ok(log.segmentCount > 2, `${log.segmentCount} segments`);
  log.setReplicationHighWatermark(60);
  const end = await log.truncateTo(25);
  assert.equal(end, 24, 'offset 25 is inside the batch 24-25');
  assert.equal(log.logEndOffset, 24);
  assert.equal(log.highWatermark, 24);
  assert.deepEqual(log.leaderEpochs.list, [{ epoch: 1, startOffset: 0 }]);
  assert.deepEqual(baseOffsets(await log.read(20, 1 << 20, true, log.durableEndOffset)), [20, 22]);
  assert.deepEqual(log.append(testBatch({ records: 1 }), 3, null), { baseOffset: 24, lastOffset: 24 });
  await log.flush();
  await log.close();
  const again = await open(dir);
  assert.equal(again.logEndOffset, 25);
  assert.deepEqual(again.leaderEpochs.list, [{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 24 }]);
  await again.close();
});

test('a power loss in the middle of a truncation leaves a log that opens, with no hole', async () => {
  for (let turns = 0; turns <= 40; turns += 4) {
    const fs = new FaultInjectingFs();
    const log = await open('/p', fs);
    for (let i = 0; i < 30; i++) log.append(testBatch({ records: 2, payloadBytes: 200 }), 1, null);
    await log.flush();
    await log.checkpointRecoveryPoint();
    const truncation = log.truncateTo(25).catch(() => undefined);
    for (let t = 0; t < turns; t++) await new Promise((resolve) => setImmediate(resolve));
    fs.crash('drop-unsynced');
    await truncation;
    const reopened = await open('/p', fs);
    assert.equal(reopened.offlineReason, null, `crash after ${turns} turns: ${reopened.offlineReason?.message}`);
    const offsets = baseOffsets(await reopened.read(0, 1 << 20, true, reopened.durableEndOffset));
    assert.deepEqual(offsets, offsets.map((_, i) => i * 2), 'consecutive batches from 0');
    assert.ok(reopened.logEndOffset >= 24, `crash after ${turns} turns: the log ends at ${reopened.logEndOffset}, shorter than asked`);
  }
});

test('truncating to the log end drops an epoch begun there with nothing appended in it (a deposed leader turned follower)', async () => {
  const log = await open(tempDir());
  log.append(testBatch({ records: 3 }), 4, null);
  await log.flush();
  await log.assignLeaderEpoch(6);
  assert.equal(log.leaderEpochs.latestEpoch, 6);
  assert.equal(await log.truncateTo(log.logEndOffset), 3);
  assert.equal(log.leaderEpochs.latestEpoch, 4, 'the follower asks about the epoch its records are in');
  await log.close();
});
