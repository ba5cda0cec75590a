// Millrace in the comparison with the systems users would pick instead: one broker, one partition
// per topic (each peer gets one stream), every workload run by a client in its own process. Produce
// is measured twice, with librdkafka (kcat) and with our client (`millrace bench produce`); consume and end-to-end latency with our client (`millrace bench consume|e2e`). The
// broker carries a probe that reports its event-loop delay during the end-to-end run.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBroker } from '../../compat/harness/broker-process.ts';
import { runTool } from '../../compat/harness/run-tool.ts';
import { type LoopDelay, PROBE, takeLoopDelay } from '../loop-delay.ts';
import { type Latency, rssMb, type SystemResult, type Throughput, throughput, type Workload } from './workload.ts';

const root = resolve(import.meta.dirname, '../..');
const TIMEOUT_MS = 600_000;

export interface MillraceResult extends SystemResult {
  /** The same produce workload from kcat: librdkafka, the producer most Kafka clients are built on. */
  produceLibrdkafka: Throughput & { errors: number };
  /** The broker's event-loop delay during the end-to-end run. */
  loopDelay: LoopDelay;
}

/** Runs `millrace ARGS --output json` and returns what it printed. */
async function cli(bootstrap: string, args: string[]): Promise<string> {
  const run = await runTool(process.execPath, ['--conditions=development', join(root, 'packages/millrace/src/main.ts'), ...args, '--brokers', bootstrap, '--output', 'json'], { timeoutMs: TIMEOUT_MS, allowFailure: true });
  if (run.code !== 0) throw new Error(`millrace ${args.join(' ')} exited with ${run.code}: ${run.stderr}`);
  return run.stdout;
}

/** Runs `millrace bench ARGS` and returns its one-line JSON result. */
async function bench<T>(bootstrap: string, args: string[]): Promise<T> {
  return JSON.parse(await cli(bootstrap, ['bench', ...args])) as T;
}

/**
 * kcat (librdkafka) producing the records from a file of lines, acks=all, with the batching a
 * throughput-minded librdkafka user sets; the time includes its start, which is milliseconds.
 */
async function produceWithKcat(bootstrap: string, topic: string, workload: Workload, dir: string): Promise<Throughput & { errors: number }> {
  const file = join(dir, 'records.txt');
  const line = Buffer.alloc(workload.recordBytes + 1, 'x').fill('\n', workload.recordBytes);
  const fd = openSync(file, 'w');
  for (let i = 0; i < workload.records; i++) writeSync(fd, line);
  closeSync(fd);
  const started = performance.now();
  const run = await runTool('kcat', ['-P', '-b', bootstrap, '-t', topic, '-l', file, '-X', 'acks=all', '-X', 'linger.ms=5', '-X', 'batch.size=1000000', '-X', 'queue.buffering.max.kbytes=1048576', '-X', 'queue.buffering.max.messages=1000000'], { timeoutMs: TIMEOUT_MS, allowFailure: true });
  const seconds = (performance.now() - started) / 1000;
  // kcat reports each record it could not deliver on stderr and exits non-zero.
  const errors = run.stderr.split('\n').filter((line) => line.includes('Delivery failed')).length;
  if (run.code !== 0 && errors === 0) throw new Error(`kcat exited with ${run.code}: ${run.stderr}`);
  return { ...throughput(workload.records, workload.recordBytes, seconds), errors };
}

export async function benchMillrace(workload: Workload): Promise<MillraceResult> {
  const workDir = mkdtempSync(join(tmpdir(), 'millrace-bench-'));
  const loopDelayFile = join(workDir, 'loop-delay.json');
  const broker = await startBroker({ nodeArgs: ['--import', PROBE], env: { MILLRACE_LOOP_DELAY_FILE: loopDelayFile } });
  try {
    const { bootstrap } = broker;
    for (const topic of ['librdkafka', 'ours', 'e2e']) await cli(bootstrap, ['topic', 'create', topic, '-p', '1']);
    const produceLibrdkafka = await produceWithKcat(bootstrap, 'librdkafka', workload, workDir);
    const produced = await bench<{ records: number; seconds: number }>(bootstrap, ['produce', 'ours', '-n', String(workload.records), '-s', String(workload.recordBytes)]);
    const consumed = await bench<{ records: number; seconds: number }>(bootstrap, ['consume', 'ours', '-n', String(workload.records)]);
    await takeLoopDelay(broker.process.pid!, loopDelayFile);
    const e2e = await bench<Latency>(bootstrap, ['e2e', 'e2e', '--rate', String(workload.e2eRate), '-d', String(workload.e2eSeconds), '-s', String(workload.recordBytes)]);
    const loopDelay = await takeLoopDelay(broker.process.pid!, loopDelayFile);
    const serverRssMb = rssMb(broker.process.pid!);
    return {
      system: 'Millrace',
      serverVersion: `${(JSON.parse(readFileSync(join(root, 'packages/millrace/package.json'), 'utf8')) as { version: string }).version} (${execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()})`,
      client: 'millrace client (kcat for the second produce figure)',
      durability: 'acks=all, fdatasync before every acknowledgement',
      produce: throughput(produced.records, workload.recordBytes, produced.seconds),
      produceLibrdkafka,
      consume: throughput(consumed.records, workload.recordBytes, consumed.seconds),
      e2e: { rate: e2e.rate, received: e2e.received, p50Ms: e2e.p50Ms, p99Ms: e2e.p99Ms, p999Ms: e2e.p999Ms },
      serverRssMb,
      loopDelay,
    };
  } finally {
    await broker.dispose();
    rmSync(workDir, { recursive: true, force: true });
  }
}
