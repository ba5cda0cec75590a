// Crash recovery of a partition log, on the fault-injecting file system: what an acknowledged
// (flushed) record must survive, and which damage recovery may cut and which it must refuse.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchField, LOG_OVERHEAD } from '@millrace/protocol';
import { FaultInjectingFs } from './fault-injecting-fs.ts';
import { PartitionLog, type LogConfig } from './partition-log.ts';
import { CorruptLogError } from './storage-error.ts';
import { baseOffsets, testBatch } from './test-batches.ts';

const DIR = '/data/topic-0';
const CONFIG: LogConfig = { segmentBytes: 4096, segmentMs: 7 * 24 * 3600_000, indexIntervalBytes: 256 };

function open(fs: FaultInjectingFs, options: { cleanShutdown?: boolean; onRecovery?: (m: string) => void } = {}) {
  return PartitionLog.open({ dir: DIR, fs, config: CONFIG, now: () => 1_000, ...options });
}

function segmentFile(base: number): string {
  return `${DIR}/${String(base).padStart(20, '0')}.log`;
}

/** Each batch's bytes by base offset, from a read of the whole log. */
function batchesByOffset(data: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let at = 0; at < data.length; ) {
    const size = data.readInt32BE(at + BatchField.BATCH_LENGTH) + LOG_OVERHEAD;
    out.set(Number(data.readBigInt64BE(at)), data.subarray(at, at + size));
    at += size;
  }
  return out;
}

async function readAll(log: PartitionLog): Promise<Buffer> {
  return log.read(log.logStartOffset, 1 << 30);
}

test('after a power loss that tears the last write, every acknowledged batch is there with its bytes, and the log takes appends again', async () => {
  for (let seed = 1; seed <= 40; seed++) {
    const fs = new FaultInjectingFs(seed);
    const log = await open(fs);
    const acked = new Map<number, Buffer>();
    for (let round = 0; round < 12; round++) {
      for (let i = 0; i < 3; i++) log.append(testBatch({ records: 1 + ((round + i) % 4), payloadBytes: 40 + ((seed * 7 + round * 13 + i) % 200), fill: 0x41 + round }), 0, null);
      await log.flush();
      for (const [offset, bytes] of batchesByOffset(await readAll(log))) acked.set(offset, Buffer.from(bytes));
    }
    // An unacknowledged write in flight when the power goes.
    log.append(testBatch({ records: 2, payloadBytes: 300, fill: 0x7a }), 0, null);
    const inFlight = log.flush().catch(() => undefined);
    fs.crash('tear-last-write');
    await inFlight;
    const again = await open(fs);
    assert.equal(again.offlineReason, null, `seed ${seed}: ${again.offlineReason?.message}`);
    const survived = batchesByOffset(await readAll(again));
    for (const [offset, bytes] of acked) assert.deepEqual(survived.get(offset), bytes, `seed ${seed}: acknowledged batch at ${offset}`);
    const end = again.logEndOffset;
    again.append(testBatch({ records: 1 }), 0, null);
    await again.flush();
    assert.deepEqual(baseOffsets(await again.read(end, 1 << 20)), [end], `seed ${seed}: appends continue at the recovered end`);
  }
});

test('after a power loss that drops every unsynced write, acknowledged data survives across segment rolls', async () => {
  const fs = new FaultInjectingFs(7);
  const log = await open(fs);
  for (let i = 0; i < 60; i++) {
    log.append(testBatch({ records: 2, payloadBytes: 150, fill: i }), 0, null);
    await log.flush();
  }
  assert.ok(log.segmentCount > 3, 'several segments');
  const before = await readAll(log);
  log.append(testBatch({ records: 1 }), 0, null);
  fs.crash('drop-unsynced');
  const again = await open(fs);
  assert.equal(again.logEndOffset, 120);
  assert.deepEqual(await readAll(again), before);
});

test('a torn tail past the recovery point is cut and reported', async () => {
  const fs = new FaultInjectingFs();
  const log = await open(fs);
  for (let i = 0; i < 5; i++) log.append(testBatch({ records: 1, payloadBytes: 50 }), 0, null);
  await log.flush();
  const file = segmentFile(0);
  const whole = fs.contents(file)!;
  fs.crash('process-only');
  // The process died in the middle of writing a sixth batch.
  const fd = await fs.openReadWrite(file);
  await fs.writev(fd, [testBatch({ records: 1, payloadBytes: 50 }).subarray(0, 30)], whole.length);
  const recovered: string[] = [];
  const again = await open(fs, { onRecovery: (m) => recovered.push(m) });
  assert.equal(again.logEndOffset, 5);
  assert.equal(recovered.length, 1);
  assert.match(recovered[0], /cut 30 bytes of torn tail/);
  assert.deepEqual(fs.contents(file), whole);
});

test('damage before the recovery point takes the log offline and changes nothing on disk', async () => {
  const fs = new FaultInjectingFs();
  const log = await open(fs);
  for (let i = 0; i < 8; i++) log.append(testBatch({ records: 1, payloadBytes: 50 }), 0, null);
  await log.flush();
  await log.checkpointRecoveryPoint();
  log.append(testBatch({ records: 1, payloadBytes: 50 }), 0, null);
  await log.flush();
  const batch = testBatch({ records: 1, payloadBytes: 50 }).length;
  // The last batch before the recovery point (offset 7) rots: it is the tail of what the checkpoint covers.
  fs.corrupt(segmentFile(0), 7 * batch + 70);
  fs.crash('process-only');
  const damaged = fs.contents(segmentFile(0))!;
  const again = await open(fs);
  assert.ok(again.offlineReason instanceof CorruptLogError);
  assert.match(again.offlineReason.message, /invalid batch at byte 777 \(CRC mismatch\), where offset 7 was expected; offsets below 8 were durable/);
  assert.match(again.offlineReason.message, /truncate -s 777/);
  assert.deepEqual(fs.contents(segmentFile(0)), damaged, 'nothing was cut');
  await assert.rejects(again.read(0, 1000), CorruptLogError);
  assert.throws(() => again.append(testBatch({ records: 1 }), 0, null), CorruptLogError);
  await assert.rejects(again.flush(), CorruptLogError);
});

test('an invalid batch with valid batches after it takes the log offline, even past the recovery point', async () => {
  const fs = new FaultInjectingFs();
  const log = await open(fs);
  for (let i = 0; i < 6; i++) log.append(testBatch({ records: 1, payloadBytes: 50 }), 0, null);
  await log.flush();
  fs.crash('process-only');
  const batch = testBatch({ records: 1, payloadBytes: 50 }).length;
  fs.corrupt(segmentFile(0), 2 * batch + BatchField.BATCH_LENGTH + 1);
  const again = await open(fs);
  assert.ok(again.offlineReason instanceof CorruptLogError);
  assert.match(again.offlineReason.message, /a valid batch \(offsets 3-3\) follows at byte 333/);
  assert.equal(fs.contents(segmentFile(0))!.length, 6 * batch);
});

test('damage in a sealed segment is corruption, never a cut: later segments follow it', async () => {
  const fs = new FaultInjectingFs();
  const log = await open(fs);
  for (let i = 0; i < 40; i++) log.append(testBatch({ records: 1, payloadBytes: 200 }), 0, null);
  await log.flush();
  assert.ok(log.segmentCount >= 3);
  fs.crash('process-only');
  await fs.rmrf(`${DIR}/recovery-point.checkpoint`);
  await fs.unlink(`${DIR}/00000000000000000000.index`);
  fs.corrupt(segmentFile(0), 300);
  const again = await open(fs);
  assert.ok(again.offlineReason instanceof CorruptLogError);
  assert.match(again.offlineReason.message, /later segments follow it/);
});

test('after a clean shutdown, the log opens from its indexes without reading the segments, and damage in the last batches is corruption', async () => {
  const fs = new CountingFs();
  const log = await open(fs);
  for (let i = 0; i < 200; i++) log.append(testBatch({ records: 1, payloadBytes: 200, maxTimestamp: 5_000 + i }), 0, null);
  await log.flush();
  assert.equal(await log.close(), true);
  const logBytes = log.sizeInBytes;
  fs.readBytes = 0;
  const again = await open(fs, { cleanShutdown: true });
  assert.ok(fs.readBytes < logBytes / 10, `read ${fs.readBytes} of ${logBytes} bytes to open`);
  assert.equal(again.logEndOffset, 200);
  assert.deepEqual(again.maxTimestampOffset(), { offset: 199, timestamp: 5_199 });
  assert.deepEqual(await again.offsetForTimestamp(5_150), { offset: 150, timestamp: 5_150 });
  assert.equal((await again.close()), true);
  // The walk from the last index entry to the end checks the newest batches (older ones are only read by clients, which check CRCs).
  const lastFile = `${DIR}/${(await fs.readdir(DIR)).filter((f) => f.endsWith('.log')).sort().at(-1)!}`;
  fs.corrupt(lastFile, fs.contents(lastFile)!.length - 1);
  const damaged = await open(fs, { cleanShutdown: true });
  assert.ok(damaged.offlineReason instanceof CorruptLogError);
  assert.match(damaged.offlineReason.message, /shut down cleanly/);
});

test('after a crash, only segments past the recovery point are walked; a missing index below it is rebuilt', async () => {
  const fs = new CountingFs();
  const log = await open(fs);
  for (let i = 0; i < 200; i++) {
    log.append(testBatch({ records: 1, payloadBytes: 200, fill: i }), 0, null);
    await log.flush();
  }
  await log.checkpointRecoveryPoint();
  const before = await readAll(log);
  fs.crash('drop-unsynced');
  fs.readBytes = 0;
  const again = await open(fs);
  assert.ok(fs.readBytes < log.sizeInBytes / 10, `read ${fs.readBytes} of ${log.sizeInBytes} bytes to open`);
  assert.deepEqual(await readAll(again), before);
  fs.crash('process-only');
  await fs.unlink(`${DIR}/00000000000000000000.index`);
  const rebuilt = await open(fs);
  assert.deepEqual(await readAll(rebuilt), before);
  assert.ok(fs.contents(`${DIR}/00000000000000000000.index`)!.length > 0, 'the index file is written again');
});

test('a log whose data ends before its recovery point is offline: acknowledged data is missing', async () => {
  const fs = new FaultInjectingFs();
  const log = await open(fs);
  for (let i = 0; i < 4; i++) log.append(testBatch({ records: 1 }), 0, null);
  await log.flush();
  await log.checkpointRecoveryPoint();
  fs.crash('process-only');
  const fd = await fs.openReadWrite(segmentFile(0));
  await fs.truncate(fd, testBatch({ records: 1 }).length * 2);
  const again = await open(fs);
  assert.ok(again.offlineReason instanceof CorruptLogError);
  assert.match(again.offlineReason.message, /ends at offset 2, but offsets below 4 were durable/);
});

test('a full disk fails the flush with a storage error, and what was acknowledged before survives', async () => {
  const fs = new FaultInjectingFs();
  const log = await open(fs);
  for (let i = 0; i < 10; i++) log.append(testBatch({ records: 1, payloadBytes: 100 }), 0, null);
  await log.flush();
  const before = await readAll(log);
  fs.capacityBytes = fs.usedBytes + 150;
  log.append(testBatch({ records: 1, payloadBytes: 100 }), 0, null);
  log.append(testBatch({ records: 1, payloadBytes: 100 }), 0, null);
  await assert.rejects(log.flush(), (err: Error & { code?: string }) => err.code === 'KAFKA_STORAGE_ERROR' && /no space left/.test(err.message));
  assert.equal(log.highWatermark, 10);
  assert.deepEqual(await readAll(log), before, 'readers still see exactly the acknowledged data');
  fs.crash('tear-last-write');
  fs.capacityBytes = Infinity;
  const again = await open(fs);
  assert.equal(again.offlineReason, null);
  assert.deepEqual(await readAll(again), before);
});

/** Counts the bytes the log reads, to show what recovery walks. */
class CountingFs extends FaultInjectingFs {
  readBytes = 0;
  override async read(fd: number, into: Buffer, offset: number, length: number, position: number): Promise<number> {
    const n = await super.read(fd, into, offset, length, position);
    this.readBytes += n;
    return n;
  }
}
