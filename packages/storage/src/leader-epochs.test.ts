// The leader-epoch cache on its own: Kafka's rules for assigning epochs and for the answers a
// follower truncates by, the checkpoint file's format (damage is an error, never a silent reset),
// writes that never overlap, and a crash during a write leaving the old or the new entries.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { crc32c } from '@millrace/protocol';
import { FaultInjectingFs } from './fault-injecting-fs.ts';
import { NodeFs } from './fs.ts';
import { LEADER_EPOCH_FILE, LeaderEpochCache } from './leader-epochs.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-epochs-'));
  dirs.push(dir);
  return dir;
}

function cacheWith(entries: [number, number][]): LeaderEpochCache {
  const cache = LeaderEpochCache.empty(new NodeFs(), tempDir());
  for (const [epoch, start] of entries) cache.assign(epoch, start);
  return cache;
}

test('assign takes only newer epochs, and a new epoch replaces entries that claimed offsets from its start on', () => {
  const cache = cacheWith([[1, 0], [3, 10], [4, 20]]);
  assert.equal(cache.assign(4, 30), false, 'the same epoch again');
  assert.equal(cache.assign(2, 30), false, 'an older epoch');
  assert.equal(cache.latestEpoch, 4);
  assert.equal(cache.assign(6, 15), true);
  assert.deepEqual(cache.list, [{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 10 }, { epoch: 6, startOffset: 15 }]);
  assert.equal(LeaderEpochCache.empty(new NodeFs(), tempDir()).latestEpoch, -1, 'an empty cache');
});

test('epochStartOffset finds an epoch that began here, -1 for one that did not', () => {
  const cache = cacheWith([[1, 0], [3, 10]]);
  assert.equal(cache.epochStartOffset(3), 10);
  assert.equal(cache.epochStartOffset(1), 0);
  assert.equal(cache.epochStartOffset(2), -1);
});

test('endOffsetFor follows every branch of Kafka\'s LeaderEpochFileCache.endOffsetFor', () => {
  const cache = cacheWith([[2, 5], [4, 12], [7, 30]]);
  assert.deepEqual(cache.endOffsetFor(-1, 50), { epoch: -1, endOffset: -1 }, 'undefined epoch');
  assert.deepEqual(cache.endOffsetFor(7, 50), { epoch: 7, endOffset: 50 }, 'the latest epoch ends at the log end');
  assert.deepEqual(cache.endOffsetFor(9, 50), { epoch: -1, endOffset: -1 }, 'no epoch above it');
  assert.deepEqual(cache.endOffsetFor(4, 50), { epoch: 4, endOffset: 30 }, 'a known epoch ends where the next begins');
  assert.deepEqual(cache.endOffsetFor(5, 50), { epoch: 4, endOffset: 30 }, 'an unknown one answers with the largest below it');
  assert.deepEqual(cache.endOffsetFor(1, 50), { epoch: 1, endOffset: 5 }, 'below every epoch: the requested one, ending at the first start');
  assert.deepEqual(cacheWith([]).endOffsetFor(0, 50), { epoch: -1, endOffset: -1 }, 'an empty cache');
});

test('truncateFromEnd drops epochs that began at or after the cut; truncateFromStart moves the one spanning the new log start', () => {
  const cache = cacheWith([[1, 0], [2, 10], [3, 20], [4, 30]]);
  cache.truncateFromEnd(30);
  assert.deepEqual(cache.list.map((e) => e.epoch), [1, 2, 3]);
  cache.truncateFromStart(15);
  assert.deepEqual(cache.list, [{ epoch: 2, startOffset: 15 }, { epoch: 3, startOffset: 20 }]);
  cache.truncateFromStart(20);
  assert.deepEqual(cache.list, [{ epoch: 3, startOffset: 20 }], 'an epoch beginning exactly at the new start stays as it is');
  cache.truncateFromStart(5);
  assert.deepEqual(cache.list, [{ epoch: 3, startOffset: 20 }], 'a start below every entry changes nothing');
});

test('the checkpoint round-trips on real files; a damaged or disordered file is an error, not an empty cache', async () => {
  const dir = tempDir();
  const fs = new NodeFs();
  const cache = LeaderEpochCache.empty(fs, dir);
  cache.assign(0, 0);
  cache.assign(5, 1_234_567_890_123);
  await cache.persist();
  assert.deepEqual((await LeaderEpochCache.load(fs, dir))!.list, cache.list);
  const path = join(dir, LEADER_EPOCH_FILE);
  const good = readFileSync(path);
  const bad = Buffer.from(good);
  bad[4] ^= 0x01;
  writeFileSync(path, bad);
  await assert.rejects(LeaderEpochCache.load(fs, dir), /damaged/);
  // A valid CRC over entries that go backwards is damage too: no writer produces them.
  const body = 'v1\n3 10\n2 20\n';
  writeFileSync(path, `${body}${crc32c(Buffer.from(body))}\n`);
  await assert.rejects(LeaderEpochCache.load(fs, dir), /damaged/);
  assert.equal(await LeaderEpochCache.load(fs, tempDir()), null, 'no file: null, and the caller rebuilds');
});

test('writes never overlap, and the file ends with the newest entries', async () => {
  const fs = new OverlapCountingFs();
  await fs.mkdirp('/p');
  const cache = LeaderEpochCache.empty(fs, '/p');
  const writes: Promise<void>[] = [];
  for (let epoch = 0; epoch < 6; epoch++) {
    cache.assign(epoch, epoch * 10);
    writes.push(cache.persist());
  }
  await Promise.all(writes);
  assert.equal(fs.maxInFlight, 1);
  assert.deepEqual((await LeaderEpochCache.load(fs, '/p'))!.list.map((e) => e.epoch), [0, 1, 2, 3, 4, 5]);
  assert.equal(cache.settled, true);
});

test('a power loss during a write leaves the old or the new entries, never a torn file', async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const fs = new FaultInjectingFs(seed);
    await fs.mkdirp('/p');
    const cache = LeaderEpochCache.empty(fs, '/p');
    cache.assign(1, 0);
    await cache.persist();
    cache.assign(2, 40);
    const write = cache.persist().catch(() => undefined);
    for (let turn = 0; turn < seed % 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    fs.crash('tear-last-write');
    await write;
    const epochs = (await LeaderEpochCache.load(fs, '/p'))!.list.map((e) => e.epoch);
    assert.ok(epochs.join() === '1' || epochs.join() === '1,2', `seed ${seed}: ${epochs.join()}`);
  }
});

test('a failed write is reported to every caller that waits on it', async () => {
  const fs = new FaultInjectingFs();
  await fs.mkdirp('/p');
  const cache = LeaderEpochCache.empty(fs, '/p');
  cache.assign(1, 0);
  fs.failSync = true;
  const first = cache.persist();
  const second = cache.persist();
  await assert.rejects(first, /EIO/);
  await assert.rejects(second, /EIO/, 'a caller with nothing new to write still learns that the last write failed');
});

/** Counts checkpoint writes under way at once: from the temp file's write to its rename. */
class OverlapCountingFs extends FaultInjectingFs {
  inFlight = 0;
  maxInFlight = 0;
  override async writeFile(path: string, data: Buffer): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    return super.writeFile(path, data);
  }
  override async rename(from: string, to: string): Promise<void> {
    this.inFlight--;
    return super.rename(from, to);
  }
}
