// Reads while the cleaner swaps compacted segments in, on real files: every read succeeds, its
// records come in offset order, and the only offsets missing are records a newer one of the same
// key made obsolete. A consumer-style scan always finds each key's newest value.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BatchField, decodeRecordBatch, encodeRecordBatch, LOG_OVERHEAD } from '@millrace/protocol';
import type { CompactionConfig } from './compaction.ts';
import { NodeFs } from './fs.ts';
import { PartitionLog, type LogConfig } from './partition-log.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const T0 = 1_700_000_000_000;
const CONFIG: LogConfig = { segmentBytes: 1024, segmentMs: 1e12, indexIntervalBytes: 128 };
/** Tombstones stay (delete.retention.ms is a day), so a record only ever goes when a newer one has its key. */
const COMPACT: CompactionConfig = { minCompactionLagMs: 0, maxCompactionLagMs: Number.MAX_SAFE_INTEGER, deleteRetentionMs: 86_400_000, minCleanableDirtyRatio: 0 };
const KEYS = 24;
const PASSES = 25;
const READERS = 4;

interface Written {
  key: string;
  value: string;
}

interface Seen {
  offset: number;
  key: string;
  value: string;
}

/** The records of a read, and the offset after its last batch (where a consumer fetches next). */
function decode(data: Buffer): { records: Seen[]; next: number | null } {
  const records: Seen[] = [];
  let next: number | null = null;
  for (let at = 0; at < data.length; ) {
    const size = data.readInt32BE(at + BatchField.BATCH_LENGTH) + LOG_OVERHEAD;
    next = Number(data.readBigInt64BE(at + BatchField.BASE_OFFSET)) + data.readInt32BE(at + BatchField.LAST_OFFSET_DELTA) + 1;
    for (const r of decodeRecordBatch(data.subarray(at, at + size))) records.push({ offset: r.offset, key: r.key!.toString(), value: r.value!.toString() });
    at += size;
  }
  return { records, next };
}

/**
 * Throws unless `records` ascend, each is what was written at its offset, and every offset missing
 * between `from` and the last one held a record whose key was written again later.
 */
function checkRun(records: Seen[], from: number, written: Written[], newest: Map<string, number>, what: string): void {
  let expect = from;
  for (const r of records) {
    assert.deepEqual({ key: r.key, value: r.value }, written[r.offset], `${what}: offset ${r.offset} holds what was written there`);
    if (r.offset < expect) {
      assert.ok(r.offset < from, `${what}: offset ${r.offset} after ${expect - 1}: out of order or repeated`);
      continue;
    }
    for (let gap = expect; gap < r.offset; gap++) {
      assert.ok(newest.get(written[gap].key)! > gap, `${what}: offset ${gap} (${written[gap].key}, the newest of its key) is missing`);
    }
    expect = r.offset + 1;
  }
}

test('reads during compaction passes succeed, ascend, and miss only records a newer one of their key replaced', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-compaction-reads-'));
  dirs.push(dir);
  const fs = new NodeFs();
  const log = await PartitionLog.open({ dir, fs, config: CONFIG, now: () => T0 });
  const written: Written[] = [];
  const newest = new Map<string, number>();
  const put = (entries: [string, string][]) => {
    const { baseOffset } = log.append(encodeRecordBatch({ records: entries.map(([key, value]) => ({ key: Buffer.from(key), value: Buffer.from(value), timestamp: T0 })) }), 0, null);
    entries.forEach(([key, value], i) => {
      written[baseOffset + i] = { key, value };
      newest.set(key, baseOffset + i);
    });
  };

  let reads = 0;
  for (let pass = 0; pass < PASSES; pass++) {
    // New updates of every key, then fillers that seal them into cleanable segments.
    for (let b = 0; b < 6; b++) put(Array.from({ length: KEYS / 6 }, (_, i) => [`key-${(b * KEYS) / 6 + i}`, `pass ${pass} ${'.'.repeat(i * 3)}`]));
    for (let f = 0; f < 6; f++) put([[`filler-${f}`, 'f'.repeat(150)]]);
    await log.flush();
    const end = log.highWatermark;

    let cleaning = true;
    const randomReads = async (reader: number) => {
      while (cleaning) {
        const from = log.logStartOffset + Math.floor(Math.random() * (end - log.logStartOffset));
        const budget = [64, 300, 1500, 1 << 20][(reader + reads) % 4];
        const { records } = decode(await log.read(from, budget));
        checkRun(records, from, written, newest, `pass ${pass}, read at ${from} of ${budget} bytes`);
        reads++;
      }
    };
    const scan = async () => {
      do {
        const seen = new Map<string, string>();
        let from = log.logStartOffset;
        while (from < end) {
          const { records, next } = decode(await log.read(from, 700));
          checkRun(records, from, written, newest, `pass ${pass}, scan at ${from}`);
          for (const r of records) seen.set(r.key, r.value);
          // A read that a segment swap cut short comes back empty: the next one starts where it did.
          from = next ?? from;
          reads++;
        }
        for (const [key, offset] of newest) assert.equal(seen.get(key), written[offset].value, `pass ${pass}: a scan ends with the newest value of ${key}`);
      } while (cleaning);
    };
    const compaction = (async () => {
      try {
        assert.ok(await log.compact(T0, COMPACT), `pass ${pass} compacted something`);
      } finally {
        cleaning = false;
      }
    })();
    await Promise.all([compaction, scan(), ...Array.from({ length: READERS }, (_, r) => randomReads(r))]);
  }
  assert.ok(reads > PASSES * 10, `reads ran alongside the cleaner (${reads})`);
  await log.close();
});
