// A partition log in a replicated partition, beyond truncation: a follower's appends validate
// everything before writing anything and carry producer state over, markers carry the leader
// epoch, a failed epoch checkpoint is never acknowledged past, consumers' views stop at the
// replication high watermark, and the epochs are rebuilt cheaply and re-learned after a crash.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BatchField, crc32c, encodeRecordBatch, LOG_OVERHEAD } from '@millrace/protocol';
import { FaultInjectingFs } from './fault-injecting-fs.ts';
import { NodeFs, type Fs } from './fs.ts';
import { LEADER_EPOCH_FILE, LeaderEpochCache } from './leader-epochs.ts';
import { PartitionLog, type LogConfig } from './partition-log.ts';
import { OffsetOutOfRangeError } from './storage-error.ts';
import { baseOffsets, testBatch } from './test-batches.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-replicated-'));
  dirs.push(dir);
  return dir;
}

const CONFIG: LogConfig = { segmentBytes: 4096, segmentMs: 7 * 24 * 3600_000, indexIntervalBytes: 256 };

function open(dir: string, fs: Fs = new NodeFs(), config: Partial<LogConfig> = {}, cleanShutdown = false) {
  return PartitionLog.open({ dir, fs, config: { ...CONFIG, ...config }, now: () => 1_000, cleanShutdown });
}

/** A batch as a leader stamped it: base offset and leader epoch (both outside the CRC). */
function stamped(batch: Buffer, baseOffset: number, epoch: number): Buffer {
  batch.writeBigInt64BE(BigInt(baseOffset), BatchField.BASE_OFFSET);
  batch.writeInt32BE(epoch, BatchField.PARTITION_LEADER_EPOCH);
  return batch;
}

async function everything(log: PartitionLog): Promise<Buffer> {
  return log.read(log.logStartOffset, 1 << 30, true, log.durableEndOffset);
}

test('a follower takes over the producer state with the batches: retries, open and aborted transactions', async () => {
  const leader = await open(tempDir());
  const txn = (seq: number) => testBatch({ records: 2, producerId: 3, producerEpoch: 0, baseSequence: seq, transactional: true });
  leader.append(testBatch({ records: 2, producerId: 9, producerEpoch: 0, baseSequence: 0 }), 1, null);
  leader.append(txn(0), 1, null);
  leader.appendTxnMarker(3, 0, false, 0);
  leader.append(txn(2), 1, null);
  await leader.flush();
  const follower = await open(tempDir());
  follower.appendAsFollower(Buffer.from(await everything(leader)));
  await follower.flush();
  assert.equal(follower.lastStableOffset, leader.lastStableOffset, 'the open transaction holds the last stable offset back');
  assert.equal(follower.lastStableOffset, 5);
  assert.deepEqual(follower.abortedTransactions(0, 10), [{ producerId: 3, firstOffset: 2 }]);
  const retry = testBatch({ records: 2, producerId: 9, producerEpoch: 0, baseSequence: 0 });
  assert.deepEqual(follower.append(retry, 2, null), { baseOffset: 0, lastOffset: 1, duplicate: true }, 'the new leader answers a retry with its first offsets');
});

test('one invalid batch refuses the whole follower append: nothing written, no epoch, no producer', async () => {
  const follower = await open(tempDir());
  const good = [stamped(testBatch({ records: 2 }), 0, 4), stamped(testBatch({ records: 2, producerId: 5, producerEpoch: 0, baseSequence: 0 }), 2, 5)];
  const badCrc = stamped(testBatch({ records: 1 }), 4, 6);
  badCrc[BatchField.RECORDS_COUNT + 5] ^= 0xff;
  // A control batch whose CRC is right but whose record cannot be read.
  const unreadable = stamped(encodeRecordBatch({ attributes: 0x30, producerId: 5n, producerEpoch: 0, baseSequence: -1, records: [{ key: Buffer.alloc(4), value: Buffer.alloc(6), timestamp: 0 }] }), 4, 6);
  unreadable.writeInt32BE(unreadable.readInt32BE(BatchField.RECORDS_COUNT) + 3, BatchField.RECORDS_COUNT);
  unreadable.writeUInt32BE(crc32c(unreadable.subarray(BatchField.ATTRIBUTES)), BatchField.CRC);
  const torn = stamped(testBatch({ records: 1 }), 4, 6).subarray(0, 40);
  for (const [name, last] of [['CRC', badCrc], ['control record', unreadable], ['incomplete batch', torn]] as const) {
    assert.throws(() => follower.appendAsFollower(Buffer.concat([...good, last])), RangeError, name);
    assert.equal(follower.logEndOffset, 0, name);
    assert.deepEqual(follower.leaderEpochs.list, [], name);
    assert.equal(follower.activeProducers().length, 0, name);
  }
  await follower.flush();
  assert.equal((await everything(follower)).length, 0);
});

test('a follower accepts the gaps a compacted leader has, and refuses a batch behind its end, naming both offsets', async () => {
  const follower = await open(tempDir());
  follower.appendAsFollower(Buffer.concat([stamped(testBatch({ records: 3 }), 0, 1), stamped(testBatch({ records: 2 }), 7, 1)]));
  assert.equal(follower.logEndOffset, 9);
  assert.throws(() => follower.appendAsFollower(stamped(testBatch({ records: 1 }), 4, 1)), /base offset 4 .*9/);
  assert.deepEqual(follower.appendAsFollower(Buffer.alloc(0)), { baseOffset: 9, lastOffset: 8 }, 'an empty fetch appends nothing');
  await follower.flush();
  assert.deepEqual(baseOffsets(await everything(follower)), [0, 7]);
});

test('transaction markers carry the leader epoch of the log', async () => {
  const log = await open(tempDir());
  log.appendTxnMarker(1, 0, true, 0);
  await log.assignLeaderEpoch(5);
  log.append(testBatch({ records: 1, producerId: 2, producerEpoch: 0, baseSequence: 0, transactional: true }), 5, null);
  log.appendTxnMarker(2, 0, true, 0);
  await log.flush();
  const data = await everything(log);
  const epochs: number[] = [];
  for (let at = 0; at < data.length; at += data.readInt32BE(at + BatchField.BATCH_LENGTH) + LOG_OVERHEAD) epochs.push(data.readInt32BE(at + BatchField.PARTITION_LEADER_EPOCH));
  assert.deepEqual(epochs, [0, 5, 5]);
  assert.deepEqual(log.leaderEpochs.list, [{ epoch: 0, startOffset: 0 }, { epoch: 5, startOffset: 1 }]);
});

test('a single broker writes the epoch checkpoint once, beside its first group commit', async () => {
  const fs = new CheckpointFailingFs();
  const log = await open('/p', fs);
  for (let i = 0; i < 20; i++) {
    log.append(testBatch({ records: 1 }), 0, null);
    await log.flush();
  }
  assert.equal(fs.checkpointWrites, 1);
  assert.deepEqual(log.leaderEpochs.list, [{ epoch: 0, startOffset: 0 }]);
});

test('a failed epoch checkpoint write takes the log offline: nothing appended after it is acknowledged', async () => {
  const fs = new CheckpointFailingFs();
  const log = await open('/p', fs);
  fs.failCheckpoint = true;
  log.append(testBatch({ records: 1 }), 0, null);
  await assert.rejects(log.flush(), (err: Error & { code?: string }) => err.code === 'KAFKA_STORAGE_ERROR' && /leader-epoch/.test(err.message));
  fs.failCheckpoint = false;
  assert.throws(() => log.append(testBatch({ records: 1 }), 0, null), /offline/);
  await assert.rejects(log.flush(), /offline/);
  await assert.rejects(log.assignLeaderEpoch(1), /offline/);
});

test('consumers see nothing past the replication high watermark: default reads, timestamps, DeleteRecords, retention', async () => {
  const log = await open(tempDir(), new NodeFs(), { segmentBytes: 300 });
  for (let i = 0; i < 10; i++) log.append(testBatch({ records: 1, payloadBytes: 200, maxTimestamp: 1_000 + i }), 0, null);
  await log.flush();
  log.setReplicationHighWatermark(4);
  assert.deepEqual(baseOffsets(await log.read(0, 1 << 20)), [0, 1, 2, 3], 'the default reads up to the high watermark');
  assert.deepEqual(baseOffsets(await log.read(0, 1 << 20, true, log.durableEndOffset)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'a follower reads to the durable end');
  assert.equal((await log.read(7, 1 << 20)).length, 0, 'between the high watermark and the durable end: empty, not out of range');
  await assert.rejects(log.read(11, 1000), OffsetOutOfRangeError);
  assert.equal(await log.offsetForTimestamp(1_005), null);
  assert.deepEqual(log.maxTimestampOffset(), { offset: 3, timestamp: 1_003 });
  await assert.rejects(log.deleteRecordsBefore(6), OffsetOutOfRangeError);
  assert.equal(await log.applyRetention(1e9, 0, -1), 4, 'only segments wholly below the high watermark');
  assert.throws(() => log.setReplicationHighWatermark(-1), RangeError);
  await log.close();
});

test('a log start offset that moves takes the epoch entries below it along, durably', async () => {
  const dir = tempDir();
  const log = await open(dir);
  for (let epoch = 1; epoch <= 3; epoch++) log.append(testBatch({ records: 10 }), epoch, null);
  await log.flush();
  await log.deleteRecordsBefore(15);
  assert.deepEqual(log.leaderEpochs.list, [{ epoch: 2, startOffset: 15 }, { epoch: 3, startOffset: 20 }]);
  assert.equal(log.leaderEpochs.epochStartOffset(1), -1);
  assert.deepEqual((await LeaderEpochCache.load(new NodeFs(), dir))!.list, log.leaderEpochs.list, 'the checkpoint was written');
  const again = await open(dir);
  assert.deepEqual(again.leaderEpochs.list, [{ epoch: 2, startOffset: 15 }, { epoch: 3, startOffset: 20 }]);
});

test('epochs of batches past the recovery point are learned again when the checkpoint missed them at a crash', async () => {
  const fs = new FaultInjectingFs();
  const log = await open('/p', fs);
  log.append(testBatch({ records: 4 }), 1, null);
  await log.flush();
  await log.checkpointRecoveryPoint();
  const before = fs.contents(`/p/${LEADER_EPOCH_FILE}`)!;
  log.append(testBatch({ records: 2 }), 2, null);
  log.append(testBatch({ records: 2 }), 3, null);
  await log.flush();
  // The batches reached the disk, the checkpoint naming their epochs did not.
  await fs.writeFile(`/p/${LEADER_EPOCH_FILE}`, before);
  fs.crash('process-only');
  const again = await open('/p', fs);
  assert.deepEqual(again.leaderEpochs.list, [{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 4 }, { epoch: 3, startOffset: 6 }]);
});

test('a log without a checkpoint rebuilds its epochs from segment heads, walking only segments where the epoch changes', async () => {
  const dir = tempDir();
  const fs = new ReadCountingFs();
  const log = await open(dir, fs, { segmentBytes: 1000 });
  const epochOf = (i: number) => (i < 150 ? 0 : i < 153 ? 4 : 9);
  for (let i = 0; i < 160; i++) log.append(testBatch({ records: 1, payloadBytes: 200 }), epochOf(i), null);
  assert.equal(await log.close(), true);
  const logBytes = log.sizeInBytes;
  unlinkSync(join(dir, LEADER_EPOCH_FILE));
  fs.readBytes = 0;
  const again = await open(dir, fs, { segmentBytes: 1000 }, true);
  assert.deepEqual(again.leaderEpochs.list, [{ epoch: 0, startOffset: 0 }, { epoch: 4, startOffset: 150 }, { epoch: 9, startOffset: 153 }]);
  assert.ok(fs.readBytes < logBytes / 4, `read ${fs.readBytes} of ${logBytes} bytes`);
  await again.close();
});

/** Counts the epoch checkpoint's writes, and can fail them. */
class CheckpointFailingFs extends FaultInjectingFs {
  checkpointWrites = 0;
  failCheckpoint = false;
  override async writeFile(path: string, data: Buffer): Promise<void> {
    if (path.includes(LEADER_EPOCH_FILE)) {
      if (this.failCheckpoint) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
      this.checkpointWrites++;
    }
    return super.writeFile(path, data);
  }
}

class ReadCountingFs extends NodeFs {
  readBytes = 0;
  override async read(fd: number, into: Buffer, offset: number, length: number, position: number): Promise<number> {
    const n = await super.read(fd, into, offset, length, position);
    this.readBytes += n;
    return n;
  }
}
