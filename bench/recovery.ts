// Startup recovery after SIGKILL: a 1-partition topic gets about 1 GiB from librdkafka (one active
// segment, the worst case: all of it past the recovery point), the broker is SIGKILLed and
// restarted, and the time from the spawn until it serves again is measured at three points: the
// "listening" line, kcat's metadata, and kcat reading the last offset (checked against the one read
// before the kill). References in the same run: a restart of a broker with no data (process
// start-up), and a plain sequential read of the same segment files right after the recovery.
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker } from '../compat/harness/broker-process.ts';
import { runTool } from '../compat/harness/run-tool.ts';

export interface RecoveryBench {
  logBytes: number;
  logFiles: number;
  records: number;
  /** The offset of the last record, read before the SIGKILL and again after the restart. */
  lastOffset: number;
  /** SIGKILL-ed broker with the data, from spawn until it printed that it listens. */
  readySeconds: number;
  /** From spawn until kcat gets metadata from it. */
  recoverySeconds: number;
  /** From spawn until kcat has read the last record (`-o -1 -c 1`). */
  lastOffsetSeconds: number;
  /** The same spawn-to-metadata time for a broker with no data: what any start costs. */
  emptyStartSeconds: number;
  /** Reading the segment files once, sequentially, in 1 MiB chunks (the page cache is warm, as it was for the recovery). */
  rawReadSeconds: number;
}

const RECORD_BYTES = 1024;
const TOPIC = 'recovery';
export const RECOVERY_TARGET_SECONDS = 10;

function logFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((f) => join(dir, f));
}

function readFilesSeconds(files: string[]): number {
  const buf = Buffer.allocUnsafe(1 << 20);
  const started = performance.now();
  for (const file of files) {
    const fd = openSync(file, 'r');
    while (readSync(fd, buf, 0, buf.length, null) > 0);
    closeSync(fd);
  }
  return (performance.now() - started) / 1000;
}

async function readLastOffset(bootstrap: string): Promise<number> {
  const run = await runTool('kcat', ['-b', bootstrap, '-C', '-t', TOPIC, '-p', '0', '-o', '-1', '-c', '1', '-e', '-q', '-f', '%o\\n'], { timeoutMs: 60_000 });
  const offset = Number(run.stdout.trim());
  if (run.stdout.trim() === '' || !Number.isInteger(offset)) throw new Error(`kcat did not read the last record: ${JSON.stringify(run.stdout)} ${run.stderr}`);
  return offset;
}

type Broker = Awaited<ReturnType<typeof startBroker>>;

/** Restarts the broker; seconds from the spawn until it is ready, answers kcat -L, and (optionally) serves the last offset. */
async function timedRestart(broker: Broker, withLastOffset: boolean): Promise<{ ready: number; metadata: number; lastOffset: number; offset: number | null }> {
  const started = performance.now();
  const since = () => (performance.now() - started) / 1000;
  await broker.restart();
  const ready = since();
  await runTool('kcat', ['-b', broker.bootstrap, '-L', '-t', TOPIC], { timeoutMs: 60_000 });
  const metadata = since();
  const offset = withLastOffset ? await readLastOffset(broker.bootstrap) : null;
  return { ready, metadata, lastOffset: since(), offset };
}

export async function benchRecovery(targetBytes = Number(process.env.BENCH_RECOVERY_BYTES ?? 1 << 30)): Promise<RecoveryBench> {
  const empty = await startBroker();
  let emptyStartSeconds: number;
  try {
    await empty.stop('SIGKILL');
    emptyStartSeconds = (await timedRestart(empty, false)).metadata;
  } finally {
    await empty.dispose();
  }

  // One segment larger than the data, so that nothing rolls and every byte is past the recovery
  // point. The default segment.bytes (1 GiB) would not do: 1 GiB of 1 KiB values plus batch and
  // record overhead is about 1.09 GB, so the log would roll once and the first segment be trusted.
  const broker = await startBroker({ args: ['--set', 'num.partitions=1', '--set', 'log.segment.bytes=2147483647'] });
  try {
    const records = Math.ceil(targetBytes / RECORD_BYTES);
    const run = await runTool('/usr/bin/python3', [join(import.meta.dirname, 'librdkafka-produce.py'), broker.bootstrap, TOPIC, String(records), String(RECORD_BYTES)], { timeoutMs: 600_000 });
    const produced = JSON.parse(run.stdout.trim().split('\n').pop()!) as { errors: number };
    if (produced.errors > 0) throw new Error(`librdkafka reported ${produced.errors} delivery errors while filling the log`);
    // acks=all: every acknowledged record is fsynced, so this offset must survive the SIGKILL.
    const lastOffset = await readLastOffset(broker.bootstrap);
    await broker.stop('SIGKILL');
    const files = logFiles(join(broker.dataDir, `${TOPIC}-0`));
    const logBytes = files.reduce((n, f) => n + statSync(f).size, 0);
    const restart = await timedRestart(broker, true);
    if (restart.offset !== lastOffset) throw new Error(`after the restart the last offset is ${restart.offset}, before the SIGKILL it was ${lastOffset}`);
    const rawReadSeconds = readFilesSeconds(files);
    return {
      logBytes,
      logFiles: files.length,
      records,
      lastOffset,
      readySeconds: restart.ready,
      recoverySeconds: restart.metadata,
      lastOffsetSeconds: restart.lastOffset,
      emptyStartSeconds,
      rawReadSeconds,
    };
  } finally {
    await broker.dispose();
  }
}

/** The report lines, in the bench's table style: seconds, MB/s of the log, and time over the plain read. */
export function recoveryReport(r: RecoveryBench): string[] {
  const mb = r.logBytes / 1e6;
  const col = (v: number | null, digits = 2) => (v === null ? '-' : v.toFixed(digits)).padStart(9);
  const row = (name: string, seconds: number, withRate = true) =>
    `${name.padEnd(70)} ${col(seconds)} ${col(withRate ? mb / seconds : null, 0)} ${col(withRate ? seconds / r.rawReadSeconds : null, 1)}`;
  const segments = r.logFiles === 1 ? 'one active segment' : `${r.logFiles} segments`;
  const pass = r.lastOffsetSeconds < RECOVERY_TARGET_SECONDS;
  return [
    `\n${`recovery after SIGKILL: ${mb.toFixed(0)} MB in ${segments}, ${r.records} records`.padEnd(70)} ${'seconds'.padStart(9)} ${'MB/s'.padStart(9)} ${'x read'.padStart(9)}`,
    row('plain read of the same .log files, 1 MiB chunks (same run, page cache)', r.rawReadSeconds),
    row('restart after SIGKILL, spawn until "listening"', r.readySeconds),
    row('restart after SIGKILL, spawn until kcat -L answers', r.recoverySeconds),
    row(`restart after SIGKILL, spawn until kcat reads last offset ${r.lastOffset}`, r.lastOffsetSeconds),
    row('reference: restart of an empty broker, spawn until kcat -L answers', r.emptyStartSeconds, false),
    `time over the plain read with an empty start subtracted: ${((r.lastOffsetSeconds - r.emptyStartSeconds) / r.rawReadSeconds).toFixed(1)} (to the last offset), ${((r.recoverySeconds - r.emptyStartSeconds) / r.rawReadSeconds).toFixed(1)} (to metadata)`,
    `recovery < ${RECOVERY_TARGET_SECONDS} s: ${pass ? 'PASS' : 'FAIL'} (${r.lastOffsetSeconds.toFixed(2)} s from spawn to the last offset read back)`,
  ];
}
