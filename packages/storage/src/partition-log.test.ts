import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, appendFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BatchField, batchCrcMatches } from '@millrace/protocol';
import { NodeFs, type Fs } from './fs.ts';
import { PartitionLog, type LogConfig } from './partition-log.ts';
import { OffsetOutOfRangeError } from './storage-error.ts';
import { baseOffsets, testBatch } from './test-batches.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-log-'));
  dirs.push(dir);
  return dir;
}

const CONFIG: LogConfig = { segmentBytes: 1 << 20, segmentMs: 7 * 24 * 3600_000, indexIntervalBytes: 256 };

function open(dir: string, config: Partial<LogConfig> = {}, fs: Fs = new NodeFs(), now = () => 1_000) {
  return PartitionLog.open({ dir, fs, config: { ...CONFIG, ...config }, now });
}

test('append assigns consecutive offsets; flush makes them readable', async () => {
  const log = await open(tempDir());
  assert.deepEqual(log.append(testBatch({ records: 3 }), 0, null), { baseOffset: 0, lastOffset: 2 });
  assert.deepEqual(log.append(testBatch({ records: 2 }), 0, null), { baseOffset: 3, lastOffset: 4 });
  assert.equal(log.logEndOffset, 5);
  assert.equal(log.highWatermark, 0, 'nothing is visible before it is fsynced');
  assert.equal((await log.read(0, 1 << 20)).length, 0);
  await log.flush();
  assert.equal(log.highWatermark, 5);
  const data = await log.read(0, 1 << 20);
  assert.deepEqual(baseOffsets(data), [0, 3]);
  await log.close();
});

test('an append that would break the log is refused before anything is written: offsets never go back', async () => {
  const log = await open(tempDir());
  log.append(testBatch({ records: 3 }), 0, null);
  const backwards = testBatch({ records: 2 });
  backwards.writeInt32BE(-2, BatchField.LAST_OFFSET_DELTA);
  assert.throws(() => log.append(backwards, 0, null), /refusing to append a batch at offset 3: its last offset delta -2 is negative/);
  const wrongMagic = testBatch({ records: 1 });
  wrongMagic.writeInt8(1, BatchField.MAGIC);
  assert.throws(() => log.append(wrongMagic, 0, null), /magic 1/);
  assert.equal(log.logEndOffset, 3);
  assert.deepEqual(log.append(testBatch({ records: 1 }), 0, null), { baseOffset: 3, lastOffset: 3 });
  await log.flush();
  assert.deepEqual(baseOffsets(await log.read(0, 1 << 20)), [0, 3]);
  await log.close();
});

test('a read inside a batch returns that whole batch; maxBytes and minOneBatch are honoured', async () => {
  const log = await open(tempDir());
  for (let i = 0; i < 10; i++) log.append(testBatch({ records: 4, payloadBytes: 100 }), 0, null);
  await log.flush();
  const batchSize = testBatch({ records: 4, payloadBytes: 100 }).length;
  assert.deepEqual(baseOffsets(await log.read(6, 1 << 20)), [4, 8, 12, 16, 20, 24, 28, 32, 36]);
  assert.deepEqual(baseOffsets(await log.read(6, batchSize * 2)), [4, 8]);
  assert.deepEqual(baseOffsets(await log.read(6, 10, true)), [4], 'the first batch comes whole even over the limit');
  assert.equal((await log.read(6, 10, false)).length, 0);
  assert.equal((await log.read(40, 1000)).length, 0, 'at the high watermark: empty');
  await assert.rejects(log.read(41, 1000), OffsetOutOfRangeError);
  await log.close();
});

test('segments roll by size and reads cross them', async () => {
  const dir = tempDir();
  const log = await open(dir, { segmentBytes: 1000 });
  for (let i = 0; i < 30; i++) log.append(testBatch({ records: 1, payloadBytes: 200 }), 0, null);
  await log.flush();
  assert.ok(log.segmentCount >= 8, `expected several segments, got ${log.segmentCount}`);
  assert.deepEqual(baseOffsets(await log.read(0, 1 << 20)), Array.from({ length: 30 }, (_, i) => i));
  assert.deepEqual(baseOffsets(await log.read(17, 600)), [17, 18]);
  const files = readdirSync(dir).filter((f) => f.endsWith('.log'));
  assert.ok(files.includes('00000000000000000000.log'));
  assert.ok(files.every((f) => /^\d{20}\.log$/.test(f)));
  await log.close();
});

test('segments roll by age (segment.ms)', async () => {
  let now = 0;
  const log = await open(tempDir(), { segmentMs: 1000 }, new NodeFs(), () => now);
  log.append(testBatch({ records: 1 }), 0, null);
  now = 500;
  log.append(testBatch({ records: 1 }), 0, null);
  assert.equal(log.segmentCount, 1);
  now = 1000;
  log.append(testBatch({ records: 1 }), 0, null);
  assert.equal(log.segmentCount, 2);
  await log.close();
});

test('data, offsets and indexes survive a close and reopen', async () => {
  const dir = tempDir();
  const log = await open(dir, { segmentBytes: 2000 });
  for (let i = 0; i < 50; i++) log.append(testBatch({ records: 2, payloadBytes: 90, maxTimestamp: 1000 + i }), 0, null);
  await log.close();
  const again = await open(dir, { segmentBytes: 2000 });
  assert.equal(again.logEndOffset, 100);
  assert.equal(again.highWatermark, 100);
  assert.deepEqual(baseOffsets(await again.read(51, 1 << 20)).slice(0, 3), [50, 52, 54]);
  assert.deepEqual(await again.offsetForTimestamp(1025), { offset: 50, timestamp: 1025 });
  assert.deepEqual(again.maxTimestampOffset(), { offset: 99, timestamp: 1049 });
  again.append(testBatch({ records: 1 }), 0, null);
  await again.flush();
  assert.equal(again.logEndOffset, 101);
  await again.close();
});

test('on real files, a torn tail left by a killed process is cut back to the last whole batch and a missing index is rebuilt', async () => {
  const dir = tempDir();
  const log = await open(dir);
  for (let i = 0; i < 5; i++) log.append(testBatch({ records: 1, payloadBytes: 50 }), 0, null);
  await log.flush();
  // No close: the process "died" here. Then the end of its last write is torn, and garbage follows.
  const file = join(dir, '00000000000000000000.log');
  const size = statSync(file).size;
  truncateSync(file, size - 20);
  appendFileSync(file, Buffer.from('garbage after a crash'));
  unlinkSync(join(dir, '00000000000000000000.index'));
  const recovered: string[] = [];
  const again = await PartitionLog.open({ dir, fs: new NodeFs(), config: CONFIG, now: () => 0, onRecovery: (m) => recovered.push(m) });
  assert.equal(again.logEndOffset, 4);
  assert.equal(recovered.length, 1);
  assert.equal(statSync(file).size, (size / 5) * 4);
  again.append(testBatch({ records: 1 }), 0, null);
  await again.flush();
  assert.deepEqual(baseOffsets(await again.read(0, 1 << 20)), [0, 1, 2, 3, 4]);
  assert.ok(statSync(join(dir, '00000000000000000000.index')).size > 0);
  await again.close();
});

/** An Fs that counts syncs, and can be told to fail them. */
class CountingFs extends NodeFs {
  syncs = 0;
  failSync = false;
  override async fdatasync(fd: number): Promise<void> {
    this.syncs++;
    if (this.failSync) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    return super.fdatasync(fd);
  }
}

test('group commit: many concurrent flushes share a few fdatasyncs', async () => {
  const fs = new CountingFs();
  const log = await open(tempDir(), {}, fs);
  const flushes: Promise<void>[] = [];
  for (let i = 0; i < 200; i++) {
    log.append(testBatch({ records: 1 }), 0, null);
    flushes.push(log.flush());
  }
  await Promise.all(flushes);
  assert.equal(log.highWatermark, 200);
  assert.ok(fs.syncs <= 3, `200 flushes took ${fs.syncs} fdatasyncs`);
  await log.close();
});

test('a failed fdatasync fails every waiter and takes the log offline', async () => {
  const fs = new CountingFs();
  const log = await open(tempDir(), {}, fs);
  log.append(testBatch({ records: 1 }), 0, null);
  await log.flush();
  fs.failSync = true;
  log.append(testBatch({ records: 1 }), 0, null);
  const first = log.flush();
  await assert.rejects(first, (err: Error & { code?: string }) => err.code === 'KAFKA_STORAGE_ERROR');
  assert.equal(log.highWatermark, 1, 'the unsynced batch never becomes visible');
  fs.failSync = false;
  assert.throws(() => log.append(testBatch({ records: 1 }), 0, null), /offline/);
  await assert.rejects(log.flush(), /offline/);
});

test('deleteRecordsBefore moves the start offset, drops whole segments and persists', async () => {
  const dir = tempDir();
  const log = await open(dir, { segmentBytes: 500 });
  for (let i = 0; i < 20; i++) log.append(testBatch({ records: 1, payloadBytes: 100 }), 0, null);
  await log.flush();
  const before = log.segmentCount;
  await log.deleteRecordsBefore(9);
  assert.equal(log.logStartOffset, 9);
  assert.ok(log.segmentCount < before);
  await assert.rejects(log.read(8, 1000), OffsetOutOfRangeError);
  assert.equal(baseOffsets(await log.read(9, 1 << 20))[0] <= 9, true);
  await log.close();
  const again = await open(dir, { segmentBytes: 500 });
  assert.equal(again.logStartOffset, 9);
  await again.close();
});

test('LogAppendTime stamps the broker time and keeps the CRC valid', async () => {
  const log = await open(tempDir());
  log.append(testBatch({ records: 1, maxTimestamp: 5 }), 0, 123_456);
  await log.flush();
  const data = await log.read(0, 1 << 20);
  assert.equal(Number(data.readBigInt64BE(35)), 123_456);
  assert.equal(data.readInt16BE(21) & 0x08, 0x08);
  assert.ok(batchCrcMatches(data, 0, data.length));
  await log.close();
});

test('retention by time deletes sealed segments whose newest record is too old, never the active one', async () => {
  const dir = tempDir();
  const log = await open(dir, { segmentBytes: 300 });
  for (let i = 0; i < 10; i++) log.append(testBatch({ records: 1, payloadBytes: 200, maxTimestamp: 1000 * (i + 1) }), 0, null);
  await log.flush();
  assert.equal(log.segmentCount, 10);
  assert.equal(await log.applyRetention(5_500, 1_000, -1), 4, 'segments with records up to t=4000 are older than 5500-1000');
  assert.equal(log.logStartOffset, 4);
  await assert.rejects(log.read(3, 1000), OffsetOutOfRangeError);
  assert.equal(await log.applyRetention(1e9, 1_000, -1), 5, 'the active segment stays however old');
  assert.equal(log.segmentCount, 1);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.log')).length, 1);
  await log.close();
  const again = await open(dir, { segmentBytes: 300 });
  assert.equal(again.logStartOffset, 9, 'the new start offset is durable');
  await again.close();
});

test('retention by size keeps the log at or above retention.bytes, deleting the oldest segments', async () => {
  const log = await open(tempDir(), { segmentBytes: 300 });
  for (let i = 0; i < 10; i++) log.append(testBatch({ records: 1, payloadBytes: 200 }), 0, null);
  await log.flush();
  const segment = log.sizeInBytes / 10;
  assert.equal(await log.applyRetention(0, -1, segment * 3), 7);
  assert.equal(log.sizeInBytes, segment * 3);
  assert.equal(log.logStartOffset, 7);
  assert.equal(await log.applyRetention(0, -1, -1), 0, '-1 means no limit');
  await log.close();
});
