// Log compaction on the fault-injecting file system: the newest record per key survives with its
// offset, tombstones go after delete.retention.ms, the lag and dirty-ratio settings hold it back,
// compressed batches keep their codec, and a crash at any step of the swap loses nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Attribute, BatchField, Compression, type CompressionCode, decodeRecordBatch, encodeRecordBatch, LOG_OVERHEAD } from '@millrace/protocol';
import type { CompactionConfig } from './compaction.ts';
import { FaultInjectingFs } from './fault-injecting-fs.ts';
import { PartitionLog, type LogConfig } from './partition-log.ts';

const DIR = '/data/compacted-0';
const CONFIG: LogConfig = { segmentBytes: 2048, segmentMs: 7 * 24 * 3600_000, indexIntervalBytes: 256 };
const COMPACT: CompactionConfig = { minCompactionLagMs: 0, maxCompactionLagMs: Number.MAX_SAFE_INTEGER, deleteRetentionMs: 86_400_000, minCleanableDirtyRatio: 0.5 };
const T0 = 1_700_000_000_000;

function open(fs: FaultInjectingFs): Promise<PartitionLog> {
  return PartitionLog.open({ dir: DIR, fs, config: CONFIG, now: () => T0 });
}

/** Appends one batch of keyed records (a null value is a tombstone) and waits for it to be durable. */
async function put(log: PartitionLog, entries: [string, string | null][], compression: CompressionCode = Compression.NONE, timestamp = T0): Promise<void> {
  const batch = encodeRecordBatch({
    compression,
    records: entries.map(([key, value]) => ({ key: Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp })),
  });
  log.append(batch, 0, null);
  await log.flush();
}

interface Seen {
  offset: number;
  key: string;
  value: string | null;
}

async function readRecords(log: PartitionLog, from = log.logStartOffset): Promise<Seen[]> {
  const data = await log.read(from, 1 << 30);
  const out: Seen[] = [];
  for (let at = 0; at < data.length; ) {
    const size = data.readInt32BE(at + BatchField.BATCH_LENGTH) + LOG_OVERHEAD;
    for (const r of decodeRecordBatch(data.subarray(at, at + size))) out.push({ offset: r.offset, key: r.key!.toString(), value: r.value?.toString() ?? null });
    at += size;
  }
  return out;
}

/** What a reader of the whole log must end with: the newest value per key, and which offset holds it. */
function latestByKey(records: Seen[]): Map<string, Seen> {
  const latest = new Map<string, Seen>();
  for (const r of records) latest.set(r.key, r);
  return latest;
}

/** 20 keys updated in rounds, some deleted with tombstones; returns everything written, in order. */
async function writeUpdates(log: PartitionLog, compression: CompressionCode = Compression.NONE): Promise<Seen[]> {
  const written: Seen[] = [];
  for (let round = 0; round < 15; round++) {
    const entries: [string, string | null][] = [];
    for (let k = 0; k < 20; k += 1 + (round % 3)) entries.push([`key-${k}`, round === 14 && k % 4 === 0 ? null : `v${round}-${k}`]);
    const offset = log.logEndOffset;
    await put(log, entries, compression);
    entries.forEach(([key, value], i) => written.push({ offset: offset + i, key, value }));
  }
  // A little more so that the batches above are all in sealed segments.
  for (let i = 0; i < 8; i++) await put(log, [[`tail-${i}`, 'x'.repeat(200)]]);
  return written;
}

test('compaction keeps exactly the newest record of each key, at its original offset', async () => {
  for (const codec of [Compression.NONE, Compression.GZIP, Compression.SNAPPY, Compression.LZ4, Compression.ZSTD] as CompressionCode[]) {
    const fs = new FaultInjectingFs();
    const log = await open(fs);
    const written = await writeUpdates(log, codec);
    const before = await readRecords(log);
    const sizeBefore = log.sizeInBytes;
    const stats = await log.compact(T0, COMPACT);
    assert.ok(stats && stats.recordsRemoved > 0, `codec ${codec}: something was compacted`);
    const after = await readRecords(log);
    assert.ok(log.sizeInBytes < sizeBefore);
    // Every key's newest record (tombstones too: they are younger than delete.retention.ms) is there, once.
    const expected = latestByKey(before);
    assert.deepEqual(latestByKey(after), expected, `codec ${codec}`);
    assert.equal(after.length, new Set(after.map((r) => r.key)).size, `codec ${codec}: one record per key`);
    assert.ok(written.some((w) => w.value === null) && after.some((r) => r.value === null), 'tombstones stay for now');
    // Rewritten batches keep the producer's codec.
    const data = await log.read(0, 1 << 30);
    assert.equal(data.readInt16BE(BatchField.ATTRIBUTES) & Attribute.COMPRESSION_MASK, codec);
    // A reader at an offset that compaction removed gets the next record.
    const gap = before.find((r) => !after.some((a) => a.offset === r.offset))!;
    const next = after.find((a) => a.offset > gap.offset)!;
    assert.ok((await readRecords(log, gap.offset)).some((r) => r.offset === next.offset));
    // And the result survives a restart.
    fs.crash('process-only');
    assert.deepEqual(await readRecords(await open(fs)), after);
  }
});

test('tombstones go once delete.retention.ms has passed; min.compaction.lag.ms and the dirty ratio hold compaction back', async () => {
  const fs = new FaultInjectingFs();
  const log = await open(fs);
  await writeUpdates(log);
  assert.equal(await log.compact(T0, { ...COMPACT, minCompactionLagMs: 60_000 }), null, 'records younger than the lag stay');
  assert.ok(await log.compact(T0 + 60_000, { ...COMPACT, minCompactionLagMs: 60_000 }));
  assert.equal(await log.compact(T0 + 60_000, COMPACT), null, 'nothing new is dirty: no second pass');
  const withTombstones = await readRecords(log);
  assert.ok(withTombstones.some((r) => r.value === null));
  for (let i = 0; i < 20; i++) await put(log, [[`key-${i % 3}`, `late-${i}`]]);
  const later = T0 + COMPACT.deleteRetentionMs + 1;
  assert.ok(await log.compact(later, { ...COMPACT, minCleanableDirtyRatio: 0 }));
  const after = await readRecords(log);
  assert.ok(!after.some((r) => r.value === null && r.offset < log.logEndOffset - 20), 'old tombstones are gone');
  const live = latestByKey(withTombstones.filter((r) => r.value !== null));
  for (const [key, record] of live) {
    if (['key-0', 'key-1', 'key-2'].includes(key)) continue;
    assert.deepEqual(after.find((r) => r.key === key), record, `${key} keeps its newest value`);
  }
  assert.equal(latestByKey(after).get('key-1')!.value, 'late-19', 'the newest update wins (older copies may stay in the active segment, which is never compacted)');
  assert.ok(after.filter((r) => r.key === 'key-1').length < 7, 'most of the 7 updates of key-1 are gone');
});

/** Fails the first rename whose target matches, like a crash at that instant (the test then crashes the Fs). */
class CrashingRenameFs extends FaultInjectingFs {
  private armed = true;
  private readonly failOn: RegExp;
  constructor(failOn: RegExp) {
    super();
    this.failOn = failOn;
  }
  override async rename(from: string, to: string): Promise<void> {
    if (this.armed && this.failOn.test(to)) {
      this.armed = false;
      throw Object.assign(new Error('simulated crash'), { code: 'EIO' });
    }
    return super.rename(from, to);
  }
}

test('a crash at any step of replacing segments leaves either the old records or the compacted ones, never a mix or a loss', async () => {
  for (const step of [/\.swap$/, /\d{20}\.log$/]) {
    const fs = new CrashingRenameFs(step);
    const log = await open(fs);
    await writeUpdates(log);
    const before = await readRecords(log);
    await assert.rejects(log.compact(T0, COMPACT), /simulated crash/);
    fs.crash('drop-unsynced');
    const again = await open(fs);
    const after = await readRecords(again);
    assert.deepEqual(latestByKey(after), latestByKey(before), `crash at ${step}: the newest value of every key is readable`);
    assert.deepEqual(after.map((r) => r.offset), [...after.map((r) => r.offset)].sort((a, b) => a - b), 'offsets ascend');
    assert.equal(new Set(after.map((r) => r.offset)).size, after.length, 'no offset twice');
    const names = await fs.readdir(DIR);
    assert.ok(!names.some((n) => n.endsWith('.swap') || n.endsWith('.cleaned')), `no leftovers: ${names.join(' ')}`);
  }
});

test('records of aborted transactions are dropped, never kept as a key\'s newest; open transactions are not compacted', async () => {
  const fs = new FaultInjectingFs();
  const log = await open(fs);
  const txn = (producerId: number, seq: number, entries: [string, string][]) =>
    encodeRecordBatch({
      attributes: Attribute.TRANSACTIONAL, producerId: BigInt(producerId), producerEpoch: 0, baseSequence: seq,
      records: entries.map(([key, value]) => ({ key: Buffer.from(key), value: Buffer.from(value), timestamp: T0 })),
    });
  await put(log, [['offset', 'committed-10']]);
  log.append(txn(1, 0, [['offset', 'aborted-20']]), 0, null);
  log.appendTxnMarker(1, 0, false, 0);
  log.append(txn(2, 0, [['other', 'committed-by-txn']]), 0, null);
  log.appendTxnMarker(2, 0, true, 0);
  await log.flush();
  for (let i = 0; i < 12; i++) await put(log, [[`filler-${i}`, 'x'.repeat(200)]]);
  // An open transaction from here on holds the last stable offset.
  log.append(txn(3, 0, [['offset', 'open-30']]), 0, null);
  for (let i = 0; i < 12; i++) await put(log, [[`later-${i}`, 'y'.repeat(200)]]);
  const lso = log.lastStableOffset;
  await log.compact(T0, { ...COMPACT, minCleanableDirtyRatio: 0 });
  const after = await readRecords(log);
  assert.ok(!after.some((r) => r.value === 'aborted-20'), 'the aborted record is gone');
  assert.ok(after.some((r) => r.value === 'committed-10'), 'the committed value survives the newer aborted one');
  assert.ok(after.some((r) => r.value === 'committed-by-txn'));
  assert.ok(after.some((r) => r.value === 'open-30'), 'the open transaction is untouched');
  assert.ok(after.filter((r) => r.offset >= lso).length >= 13, 'nothing at or past the last stable offset was compacted');
});
