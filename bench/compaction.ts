// Compaction cost, in-process on real files: a log of keyed updates is compacted while a timer
// measures how long the event loop is held (what produce and fetch would wait). The reference in the
// same run is a plain sequential read of the same segment files.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readdirSync, readSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Compression, encodeRecordBatch } from '@millrace/protocol';
import { NodeFs, PartitionLog } from '@millrace/storage';

export interface CompactionBench {
  logMb: number;
  keptMb: number;
  seconds: number;
  rawReadSeconds: number;
  maxLoopDelayMs: number;
  p99LoopDelayMs: number;
}

function readFilesSeconds(dir: string): number {
  const buf = Buffer.allocUnsafe(1 << 20);
  const started = performance.now();
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.log'))) {
    const fd = openSync(join(dir, name), 'r');
    while (readSync(fd, buf, 0, buf.length, null) > 0);
    closeSync(fd);
  }
  return (performance.now() - started) / 1000;
}

export async function benchCompaction(logBytes = Number(process.env.BENCH_COMPACTION_BYTES ?? 256 << 20)): Promise<CompactionBench> {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-bench-compaction-'));
  try {
    const log = await PartitionLog.open({ dir, fs: new NodeFs(), config: { segmentBytes: 32 << 20, segmentMs: 7 * 86_400_000, indexIntervalBytes: 4096 }, now: Date.now });
    // 20,000 keys updated over and over in lz4 batches of 100 records of 1 KiB of random bytes.
    let key = 0;
    while (log.sizeInBytes < logBytes) {
      const values = randomBytes(100 * 1024);
      const records = Array.from({ length: 100 }, (_, i) => ({ key: Buffer.from(`key-${key++ % 20_000}`), value: values.subarray(i * 1024, (i + 1) * 1024), timestamp: 1 }));
      log.append(encodeRecordBatch({ compression: Compression.LZ4, records }), 0, null);
      if (key % 10_000 === 0) await log.flush();
    }
    await log.flush();
    const logMb = log.sizeInBytes / 1e6;
    const rawReadSeconds = readFilesSeconds(dir);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const started = performance.now();
    await log.compact(Date.now(), { minCompactionLagMs: 0, maxCompactionLagMs: Number.MAX_SAFE_INTEGER, deleteRetentionMs: 0, minCleanableDirtyRatio: 0 });
    const seconds = (performance.now() - started) / 1000;
    delay.disable();
    const keptMb = log.sizeInBytes / 1e6;
    await log.close();
    return { logMb, keptMb, seconds, rawReadSeconds, maxLoopDelayMs: delay.max / 1e6, p99LoopDelayMs: delay.percentile(99) / 1e6 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
