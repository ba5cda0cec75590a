import assert from 'node:assert/strict';
import { mkdtempSync, openSync, readdirSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { NodeFs } from './fs.ts';
import { PartitionLog, type LogConfig } from './partition-log.ts';
import { StorageError } from './storage-error.ts';
import { baseOffsets, testBatch } from './test-batches.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-reader-'));
  dirs.push(dir);
  return dir;
}

/** Counts reads and open files, and can hold every read until released (to interleave a read with retention). */
class ProbeFs extends NodeFs {
  reads = 0;
  open = new Set<number>();
  private gate: Promise<void> | null = null;
  private release: (() => void) | null = null;

  holdReads(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }
  releaseReads(): void {
    this.release?.();
    this.gate = null;
  }
  override async read(fd: number, into: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.reads++;
    if (this.gate) await this.gate;
    return super.read(fd, into, offset, length, position);
  }
  override async openReadWrite(path: string): Promise<number> {
    const fd = await super.openReadWrite(path);
    this.open.add(fd);
    return fd;
  }
  override async close(fd: number): Promise<void> {
    this.open.delete(fd);
    return super.close(fd);
  }
}

const CONFIG: LogConfig = { segmentBytes: 500, segmentMs: 1e12, indexIntervalBytes: 256 };

async function filledLog(fs: NodeFs, batches: number, config: Partial<LogConfig> = {}) {
  const dir = tempDir();
  const log = await PartitionLog.open({ dir, fs, config: { ...CONFIG, ...config }, now: () => 0 });
  for (let i = 0; i < batches; i++) log.append(testBatch({ records: 1, payloadBytes: 100 }), 0, null);
  await log.flush();
  return { dir, log };
}

test('a read in flight keeps a deleted segment open and never skips records of later segments', async () => {
  const fs = new ProbeFs();
  const { dir, log } = await filledLog(fs, 40);
  fs.holdReads();
  const reading = log.read(0, 1 << 20);
  await log.deleteRecordsBefore(20);
  assert.ok(!readdirSync(dir).includes('00000000000000000000.log'), 'the file is unlinked at once');
  const openDuringRead = fs.open.size;
  fs.releaseReads();
  const offsets = baseOffsets(await reading);
  assert.ok(offsets.length > 0);
  assert.deepEqual(offsets, Array.from({ length: offsets.length }, (_, i) => i), 'a contiguous run from the offset asked');
  assert.ok(fs.open.size < openDuringRead, 'the deleted segment closed when the read ended');
  await log.close();
  assert.equal(fs.open.size, 0);
});

test('offsetForTimestamp finds its answer among the segments that remain after a concurrent deletion', async () => {
  const fs = new ProbeFs();
  const dir = tempDir();
  const log = await PartitionLog.open({ dir, fs, config: CONFIG, now: () => 0 });
  for (let i = 0; i < 20; i++) log.append(testBatch({ records: 1, payloadBytes: 100, maxTimestamp: 1000 + i }), 0, null);
  await log.flush();
  fs.holdReads();
  const lookup = log.offsetForTimestamp(1010);
  await log.deleteRecordsBefore(12);
  fs.releaseReads();
  assert.deepEqual(await lookup, { offset: 12, timestamp: 1012 }, 'offset 10 was deleted while the lookup read its segment');
  await log.close();
});

test('a read costs one read call when its batch is near an index entry', async () => {
  const fs = new ProbeFs();
  const { log } = await filledLog(fs, 200, { segmentBytes: 1 << 20, indexIntervalBytes: 1024 });
  const size = testBatch({ records: 1, payloadBytes: 100 }).length;
  for (const offset of [0, 7, 55, 199]) {
    const before = fs.reads;
    const data = await log.read(offset, size * 5);
    assert.equal(fs.reads - before, 1, `read at ${offset}`);
    assert.equal(baseOffsets(data)[0], offset);
    assert.ok(data.length <= size * 5);
  }
  await log.close();
});

test('a batch larger than the read window comes whole with minOneBatch; nothing without it', async () => {
  const fs = new ProbeFs();
  const dir = tempDir();
  const log = await PartitionLog.open({ dir, fs, config: { ...CONFIG, segmentBytes: 1 << 20, indexIntervalBytes: 64 }, now: () => 0 });
  log.append(testBatch({ records: 3, payloadBytes: 50 }), 0, null);
  const big = testBatch({ records: 2, payloadBytes: 10_000 });
  log.append(big, 0, null);
  log.append(testBatch({ records: 1, payloadBytes: 50 }), 0, null);
  await log.flush();
  const data = await log.read(4, 100, true);
  assert.deepEqual(baseOffsets(data), [3]);
  assert.equal(data.length, big.length);
  assert.equal((await log.read(4, 100, false)).length, 0);
  assert.deepEqual(baseOffsets(await log.read(0, 1 << 20)), [0, 3, 5]);
  await log.close();
});

test('concurrent DeleteRecords and retention leave the highest log start offset on disk', async () => {
  const fs = new NodeFs();
  const { dir, log } = await filledLog(fs, 20);
  await Promise.all([log.deleteRecordsBefore(3), log.applyRetention(0, -1, 0), log.deleteRecordsBefore(5)]);
  const start = log.logStartOffset;
  assert.ok(start >= 5);
  await log.close();
  const again = await PartitionLog.open({ dir, fs, config: CONFIG, now: () => 0 });
  assert.equal(again.logStartOffset, start);
  await again.close();
});

test('a damaged length inside a sealed segment is a storage error, not a wrong answer', async () => {
  const fs = new NodeFs();
  const { dir, log } = await filledLog(fs, 10);
  const fd = openSync(join(dir, '00000000000000000000.log'), 'r+');
  const bad = Buffer.alloc(4);
  bad.writeInt32BE(5);
  writeSync(fd, bad, 0, 4, 8);
  closeSync(fd);
  await assert.rejects(log.read(0, 1 << 20), StorageError);
  await log.close();
});
