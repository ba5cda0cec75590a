// A follower's truncation (PartitionLog.truncateTo) under crashes and concurrency: a crash before
// any file operation of a truncation leaves a log that opens with no hole, no recovery point and no
// producer snapshot past its end; recovery point checkpoints asked for meanwhile never land past
// the new end; appends wait; and the log start offset is never cut.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readOffsetCheckpoint, writeCheckpoint } from './checkpoint-file.ts';
import { type CrashMode, FaultInjectingFs } from './fault-injecting-fs.ts';
import { PartitionLog, type LogConfig } from './partition-log.ts';
import { baseOffsets, testBatch } from './test-batches.ts';

const DIR = '/data/truncated-0';
const CONFIG: LogConfig = { segmentBytes: 2048, segmentMs: 7 * 24 * 3600_000, indexIntervalBytes: 256 };

function open(fs: FaultInjectingFs): Promise<PartitionLog> {
  return PartitionLog.open({ dir: DIR, fs, config: CONFIG, now: () => 1_000 });
}

/** Batch `n` of producer 7: offsets 2n and 2n+1, sequences the same. */
function batch(n: number): Buffer {
  return testBatch({ records: 2, payloadBytes: 150, producerId: 7, producerEpoch: 0, baseSequence: 2 * n, fill: n });
}

/**
 * 40 batches (offsets 0-79) over several segments, epoch 1 up to offset 49 and 2 after; producer
 * snapshots at 32 and 80, the recovery point at 80, and a cleaner checkpoint at 70.
 */
async function buildLog(fs: FaultInjectingFs): Promise<PartitionLog> {
  const log = await open(fs);
  for (let n = 0; n < 40; n++) {
    log.append(batch(n), n < 25 ? 1 : 2, null);
    if (n === 15) {
      await log.flush();
      await log.checkpointRecoveryPoint();
    }
  }
  await log.flush();
  await log.checkpointRecoveryPoint();
  await writeCheckpoint(fs, join(DIR, 'cleaner-offset.checkpoint'), 70);
  assert.ok(log.segmentCount >= 4, `${log.segmentCount} segments`);
  return log;
}

/** What a log must look like after any crash during truncateTo(45): whole, and at least as long as asked. */
async function checkOpens(fs: FaultInjectingFs, label: string): Promise<PartitionLog> {
  const log = await open(fs);
  assert.equal(log.offlineReason, null, `${label}: ${log.offlineReason?.message}`);
  const end = log.logEndOffset;
  assert.ok(end >= 44 && end % 2 === 0, `${label}: the log ends at ${end}`);
  const offsets = baseOffsets(await log.read(0, 1 << 20, true, log.durableEndOffset));
  assert.deepEqual(offsets, Array.from({ length: end / 2 }, (_, i) => 2 * i), `${label}: every batch from 0, no hole`);
  assert.ok(((await readOffsetCheckpoint(fs, join(DIR, 'recovery-point.checkpoint'))) ?? 0) <= end, `${label}: recovery point past the end`);
  assert.equal(log.leaderEpochs.latestEpoch, end > 50 ? 2 : 1, `${label}: the epochs of the batches that are there`);
  const last = end / 2 - 1;
  assert.deepEqual(log.append(batch(last), 2, null), { baseOffset: 2 * last, lastOffset: 2 * last + 1, duplicate: true }, `${label}: producer state`);
  return log;
}

/** Lets `opsLeft` file-changing operations through, then crashes (`mode`) before the next one. */
class CrashingFs extends FaultInjectingFs {
  opsLeft = Infinity;
  crashed = false;
  mode: CrashMode = 'drop-unsynced';
  private step(): void {
    if (this.crashed) throw Object.assign(new Error('EIO: the machine is down'), { code: 'EIO' });
    if (--this.opsLeft >= 0) return;
    this.crash(this.mode);
    this.crashed = true;
    throw Object.assign(new Error('EIO: crashed here'), { code: 'EIO' });
  }
  revive(): void {
    this.crashed = false;
    this.opsLeft = Infinity;
  }
  override async writeFile(path: string, data: Buffer) { this.step(); return super.writeFile(path, data); }
  override async writev(fd: number, buffers: Buffer[], position: number) { this.step(); return super.writev(fd, buffers, position); }
  override writevSync(fd: number, buffers: Buffer[], position: number) { this.step(); return super.writevSync(fd, buffers, position); }
  override async fdatasync(fd: number) { this.step(); return super.fdatasync(fd); }
  override async truncate(fd: number, length: number) { this.step(); return super.truncate(fd, length); }
  override async fsyncDir(path: string) { this.step(); return super.fsyncDir(path); }
  override async rename(from: string, to: string) { this.step(); return super.rename(from, to); }
  override async unlink(path: string) { this.step(); return super.unlink(path); }
}

for (const mode of ['drop-unsynced', 'process-only'] as const) {
  test(`a crash (${mode}) before any file operation of a truncation leaves a log that opens whole, and truncating again finishes it`, async () => {
    let completed = false;
    for (let ops = 0; !completed; ops++) {
      assert.ok(ops < 200, 'the truncation finishes within 200 file operations');
      const fs = new CrashingFs();
      fs.mode = mode;
      const log = await buildLog(fs);
      fs.opsLeft = ops;
      const outcome = await log.truncateTo(45).catch((err: Error) => err);
      completed = !fs.crashed;
      if (completed) {
        assert.equal(outcome, 44, `${ops} operations: ${String(outcome)}`);
        // A truncation that finished is durable: the records cut off never come back.
        fs.crash('drop-unsynced');
      }
      fs.revive();
      const reopened = await checkOpens(fs, `crash after ${ops} operations`);
      if (completed) assert.equal(reopened.logEndOffset, 44);
      assert.equal(await reopened.truncateTo(45), 44);
      assert.equal(reopened.logEndOffset, 44);
      assert.ok(((await readOffsetCheckpoint(fs, join(DIR, 'cleaner-offset.checkpoint'))) ?? 0) <= 44, 'compaction must see the new records again');
      assert.deepEqual(reopened.leaderEpochs.list, [{ epoch: 1, startOffset: 0 }]);
      assert.deepEqual(reopened.append(batch(22), 3, null), { baseOffset: 44, lastOffset: 45 }, 'the producer continues where the cut log ends');
      await reopened.flush();
    }
  });
}

test('recovery point checkpoints asked for during a truncation never land past the new end, nor do producer snapshots', async () => {
  for (let microtasks = 0; microtasks < 400; microtasks += 7) {
    const fs = new FaultInjectingFs();
    const log = await buildLog(fs);
    // Durable data past the recovery point, so that each checkpoint has something to write.
    log.append(batch(40), 2, null);
    await log.flush();
    const checkpoints = [log.checkpointRecoveryPoint().catch((err: Error) => err)];
    const truncation = log.truncateTo(45);
    for (let i = 0; i < microtasks; i++) {
      await Promise.resolve();
      if (i % 3 === 0) checkpoints.push(log.checkpointRecoveryPoint().catch((err: Error) => err));
    }
    assert.equal(await truncation, 44);
    for (const outcome of await Promise.all(checkpoints)) assert.equal(outcome, undefined);
    const point = await readOffsetCheckpoint(fs, join(DIR, 'recovery-point.checkpoint'));
    assert.ok(point !== null && point <= 44, `after ${microtasks} microtasks: recovery point ${point}`);
    const snapshots = (await fs.readdir(DIR)).filter((n) => n.endsWith('.snapshot')).map((n) => Number(n.slice(0, 20)));
    assert.ok(snapshots.every((s) => s <= 44), `after ${microtasks} microtasks: snapshots ${snapshots.join()}`);
    fs.crash('drop-unsynced');
    const again = await open(fs);
    assert.equal(again.offlineReason, null, `after ${microtasks} microtasks: ${again.offlineReason?.message}`);
    assert.equal(again.logEndOffset, 44);
  }
});

test('appends wait for a truncation under way: they throw instead of being cut or lost', async () => {
  const fs = new GatedFs();
  const log = await buildLog(fs);
  fs.gate = Promise.withResolvers<void>();
  const truncation = log.truncateTo(45);
  await fs.reached;
  assert.throws(() => log.append(batch(40), 2, null), /being truncated/);
  assert.throws(() => log.appendAsFollower(testBatch({ records: 1 })), /being truncated/);
  assert.throws(() => log.appendTxnMarker(7, 0, true, 0), /being truncated/);
  await assert.rejects(log.assignLeaderEpoch(9), /being truncated/);
  fs.gate.resolve();
  assert.equal(await truncation, 44);
  assert.deepEqual(log.append(batch(22), 2, null), { baseOffset: 44, lastOffset: 45 });
  await log.flush();
});

test('a truncation that would cut the batch holding the log start offset is refused and changes nothing', async () => {
  const fs = new FaultInjectingFs();
  const log = await open(fs);
  log.append(testBatch({ records: 10 }), 0, null);
  log.append(testBatch({ records: 10 }), 0, null);
  await log.flush();
  await log.deleteRecordsBefore(5);
  await assert.rejects(log.truncateTo(3), RangeError, 'below the log start');
  await assert.rejects(log.truncateTo(7), /log start offset 5/, 'inside the batch 0-9 that holds the log start');
  assert.equal(log.logEndOffset, 20);
  assert.equal(log.offlineReason, null);
  assert.equal(await log.truncateTo(12), 10);
  assert.equal(await log.truncateTo(30), 10, 'at or past the end: nothing to cut');
});

/** Holds the first file truncation until `gate` resolves; `reached` resolves when it waits. */
class GatedFs extends FaultInjectingFs {
  gate: PromiseWithResolvers<void> | null = null;
  private arrived = Promise.withResolvers<void>();
  readonly reached = this.arrived.promise;
  override async truncate(fd: number, length: number): Promise<void> {
    if (this.gate) {
      this.arrived.resolve();
      await this.gate.promise;
    }
    return super.truncate(fd, length);
  }
}
