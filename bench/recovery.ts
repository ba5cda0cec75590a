// Startup recovery after SIGKILL: a 1-partition topic gets about 1 GiB from librdkafka (one active
// segment, the worst case: all of it past the recovery point), the broker is SIGKILLed and
// restarted, and the time until it serves again is measured. References in the same run: a
// restart of a broker with no data (process start-up), and a plain read of the same segment files.
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker } from '../compat/harness/broker-process.ts';
import { runTool } from '../compat/harness/run-tool.ts';

export interface RecoveryBench {
  logBytes: number;
  /** SIGKILL-ed broker with the data: from spawn to serving. */
  recoverySeconds: number;
  /** The same for a broker with no data: what any start costs. */
  emptyStartSeconds: number;
  /** Reading the segment files once, sequentially. */
  rawReadSeconds: number;
}

const RECORD_BYTES = 1024;

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

/** Time from a restart's spawn until kcat gets metadata from it. */
async function timedRestart(broker: Awaited<ReturnType<typeof startBroker>>): Promise<number> {
  const started = performance.now();
  await broker.restart();
  await runTool('kcat', ['-b', broker.bootstrap, '-L', '-t', 'recovery'], { timeoutMs: 60_000 });
  return (performance.now() - started) / 1000;
}

export async function benchRecovery(targetBytes = Number(process.env.BENCH_RECOVERY_BYTES ?? 1 << 30)): Promise<RecoveryBench> {
  const empty = await startBroker();
  let emptyStartSeconds: number;
  try {
    await empty.stop('SIGKILL');
    emptyStartSeconds = await timedRestart(empty);
  } finally {
    await empty.dispose();
  }

  // One segment larger than the data, so that nothing rolls: every byte is past the recovery point.
  const broker = await startBroker({ args: ['--set', 'num.partitions=1', '--set', 'log.segment.bytes=2147483647'] });
  try {
    const records = Math.ceil(targetBytes / RECORD_BYTES);
    await runTool('/usr/bin/python3', [join(import.meta.dirname, 'librdkafka-produce.py'), broker.bootstrap, 'recovery', String(records), String(RECORD_BYTES)], { timeoutMs: 600_000 });
    await broker.stop('SIGKILL');
    const dir = join(broker.dataDir, 'recovery-0');
    const logBytes = readdirSync(dir).filter((f) => f.endsWith('.log')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    const recoverySeconds = await timedRestart(broker);
    return { logBytes, recoverySeconds, emptyStartSeconds, rawReadSeconds: readFilesSeconds(dir) };
  } finally {
    await broker.dispose();
  }
}
