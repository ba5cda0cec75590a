// The Streams benchmark: records per second of word count and of a windowed aggregation (tumbling
// minute windows per page, emitted on close), at least once and exactly once, each one instance in
// its own process against one broker, beside a plain consume-produce loop on the same input in the
// same run (word count also with its counts in a persistent store); the heap per key of the
// in-memory store, and the file and heap per key of the persistent one.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBroker, type RunningBroker } from '../compat/harness/broker-process.ts';
import { runTool } from '../compat/harness/run-tool.ts';
import { Admin, Producer } from '../packages/client/src/index.ts';

const root = resolve(import.meta.dirname, '..');
const PARTITIONS = 4;

export interface StreamsRun {
  name: string;
  inputRecords: number;
  seconds: number;
  recordsPerSecond: number;
}

export interface StreamsBenchResult {
  records: number;
  reference: StreamsRun;
  runs: StreamsRun[];
  memory: { keys: number; bytesPerKey: number; dataBytesPerKey: number; persistentHeapBytesPerKey: number; diskBytesPerKey: number };
}

function words(i: number): string {
  return Array.from({ length: 5 }, (_, j) => `w${(i * 7919 + j * 104_729) % 10_000}`).join(' ');
}

async function produceInputs(broker: RunningBroker, records: number): Promise<void> {
  const admin = new Admin({ brokers: [broker.bootstrap] });
  await admin.createTopics([{ topic: 'lines', partitions: PARTITIONS }, { topic: 'views', partitions: PARTITIONS }]).finally(() => admin.close());
  const producer = new Producer({ brokers: [broker.bootstrap], lingerMs: 5 });
  const start = Date.UTC(2026, 0, 1);
  try {
    for (let i = 0; i < records; i += 5000) {
      const n = Math.min(5000, records - i);
      await Promise.all([
        producer.send('lines', Array.from({ length: n }, (_, j) => ({ key: String(i + j), value: words(i + j) }))),
        // 10,000 pages; 200 views a second of event time, so minutes keep closing.
        producer.send('views', Array.from({ length: n }, (_, j) => ({ key: String(i + j), value: `/page-${(i + j) % 10_000}`, timestamp: start + (i + j) * 5 }))),
      ]);
    }
  } finally {
    await producer.close();
  }
}

/** Runs one application process until its group has committed everything it reads; the time counts from its first assignment. */
async function timeApplication(broker: RunningBroker, name: string, group: string, command: string[], inputRecords: number): Promise<StreamsRun> {
  const child: ChildProcess = spawn(process.execPath, ['--conditions=development', ...command], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let started = 0;
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    log += d;
    if (!started && /RUNNING/.test(d)) started = performance.now();
  });
  const admin = new Admin({ brokers: [broker.bootstrap] });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name} exited: ${log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 250));
      if (!started) continue;
      const lag = await admin.groupLag(group).catch(() => []);
      if (lag.length > 0 && lag.every((l) => l.logEndOffset === 0 || l.lag === 0)) break;
    }
    const seconds = (performance.now() - started) / 1000;
    return { name, inputRecords, seconds, recordsPerSecond: inputRecords / seconds };
  } finally {
    await admin.close();
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
}

export async function benchStreams(records = Number(process.env.BENCH_STREAMS_RECORDS ?? 200_000)): Promise<StreamsBenchResult> {
  const broker = await startBroker({ args: ['--set', `num.partitions=${PARTITIONS}`] });
  try {
    await produceInputs(broker, records);
    const b = ['--brokers', broker.bootstrap];
    const reference = await timeApplication(broker, 'reference', 'reference', ['bench/streams-reference-worker.ts', broker.bootstrap, 'lines', 'lines-copy'], records);
    const runs: StreamsRun[] = [];
    for (const eos of [false, true]) {
      const mode = eos ? 'exactly once' : 'at least once';
      // Done is when the group has committed everything: at least once commits each second here (30 s by default).
      const flag = eos ? ['--exactly-once'] : ['--commit-interval-ms', '1000'];
      runs.push(await timeApplication(broker, `word count, ${mode}`, `wc-${eos}`, ['examples/streams/word-count.ts', ...b, '--input', 'lines', '--output', `counts-${eos}`, '--application-id', `wc-${eos}`, ...flag], records));
      const stateDir = mkdtempSync(join(tmpdir(), 'bench-streams-'));
      try {
        runs.push(await timeApplication(broker, `word count, persistent store, ${mode}`, `wcp-${eos}`, ['examples/streams/word-count.ts', ...b, '--input', 'lines', '--output', `counts-p-${eos}`, '--application-id', `wcp-${eos}`, '--persistent', '--state-dir', stateDir, ...flag], records));
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
      runs.push(await timeApplication(broker, `page views per minute, ${mode}`, `pv-${eos}`, ['examples/streams/page-views.ts', ...b, '--input', 'views', '--output', `view-counts-${eos}`, '--application-id', `pv-${eos}`, ...flag], records));
    }
    const { stdout } = await runTool(process.execPath, ['--expose-gc', '--conditions=development', join(import.meta.dirname, 'streams-memory-worker.ts')], { timeoutMs: 300_000 });
    return { records, reference, runs, memory: JSON.parse(stdout) as StreamsBenchResult['memory'] };
  } finally {
    await broker.dispose();
  }
}

export function streamsReport(r: StreamsBenchResult): string[] {
  const lines = [`\nStreams, one instance against one broker (${r.records.toLocaleString('en-US')} input records, ${PARTITIONS} partitions)`];
  lines.push(`  reference: consume and produce each record, our client     ${r.reference.recordsPerSecond.toFixed(0).padStart(8)} records/s`);
  for (const run of r.runs) lines.push(`  ${run.name.padEnd(58)} ${run.recordsPerSecond.toFixed(0).padStart(8)} records/s  (${(run.recordsPerSecond / r.reference.recordsPerSecond).toFixed(2)} of the reference)`);
  lines.push(`  word count reads 5 words a line: each line is 5 records through its repartition topic, store and output`);
  lines.push(`  in-memory store: ${r.memory.bytesPerKey.toFixed(0)} bytes of heap per key (${(r.memory.bytesPerKey * 1e6 / 2 ** 20).toFixed(0)} MiB per million keys; the data is ${r.memory.dataBytesPerKey} bytes a key)`);
  lines.push(`  persistent store: ${r.memory.diskBytesPerKey.toFixed(0)} bytes of file per key (${(r.memory.diskBytesPerKey * 1e6 / 2 ** 20).toFixed(0)} MiB per million keys), ${r.memory.persistentHeapBytesPerKey.toFixed(1)} bytes of heap per key`);
  return lines;
}
