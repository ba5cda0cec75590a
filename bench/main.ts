// npm run bench: produce throughput of 1 KiB records with acks=all from a librdkafka producer, and
// the machine's fsynced sequential write bandwidth measured in the same run, as a ratio; startup
// recovery of a 1 GiB log after SIGKILL; compaction speed and how long it holds the event loop;
// produce and consume throughput of our client beside KafkaJS and @platformatic/kafka.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker } from '../compat/harness/broker-process.ts';
import { runTool } from '../compat/harness/run-tool.ts';
import { benchClients, clientReport } from './clients.ts';
import { benchCompaction } from './compaction.ts';
import { measureFsyncedWrites } from './disk-limit.ts';
import { benchRecovery, recoveryReport } from './recovery.ts';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 300_000);
const RECORD_BYTES = 1024;
const PARTITIONS = 4;
const here = import.meta.dirname;

function fmt(n: number): string {
  return n.toFixed(1).padStart(9);
}

async function produceWithLibrdkafka(): Promise<{ mbPerSecond: number; recordsPerSecond: number; errors: number }> {
  const broker = await startBroker({ args: ['--set', `num.partitions=${PARTITIONS}`] });
  try {
    const run = await runTool('/usr/bin/python3', [join(here, 'librdkafka-produce.py'), broker.bootstrap, 'bench', String(RECORDS), String(RECORD_BYTES)], { timeoutMs: 300_000 });
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as { bytes: number; records: number; seconds: number; errors: number };
    return { mbPerSecond: result.bytes / 1e6 / result.seconds, recordsPerSecond: result.records / result.seconds, errors: result.errors };
  } finally {
    await broker.stop();
  }
}

const disk = measureFsyncedWrites(1 << 20, 512 << 20);
const produce = await produceWithLibrdkafka();
const diskAfter = measureFsyncedWrites(1 << 20, 512 << 20);
const diskMb = (disk.mbPerSecond + diskAfter.mbPerSecond) / 2;
const rows = [
  ['fsynced sequential writes, 1 MiB chunks (machine limit)', diskMb, 1],
  [`librdkafka produce, ${RECORD_BYTES} B records, acks=all, ${PARTITIONS} partitions`, produce.mbPerSecond, produce.mbPerSecond / diskMb],
] as const;
console.log(`\n${'measure'.padEnd(70)} ${'MB/s'.padStart(9)} ${'ratio'.padStart(9)}`);
for (const [name, mb, ratio] of rows) console.log(`${name.padEnd(70)} ${fmt(mb)} ${fmt(ratio)}`);
console.log(`librdkafka: ${Math.round(produce.recordsPerSecond)} records/s, ${produce.errors} delivery errors`);

const clients = await benchClients();
for (const line of clientReport(clients)) console.log(line);

const recovery = await benchRecovery();
for (const line of recoveryReport(recovery)) console.log(line);

const compaction = await benchCompaction();
console.log(`\ncompaction of ${compaction.logMb.toFixed(0)} MB of keyed updates (lz4) to ${compaction.keptMb.toFixed(0)} MB: ${compaction.seconds.toFixed(2)} s (${(compaction.logMb / compaction.seconds).toFixed(0)} MB/s; a plain read of the files ${compaction.rawReadSeconds.toFixed(2)} s)`);
console.log(`  event loop held at most ${compaction.maxLoopDelayMs.toFixed(1)} ms at a time (p99 ${compaction.p99LoopDelayMs.toFixed(1)} ms) while compacting`);
const resultsDir = join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
writeFileSync(join(resultsDir, `bench-${Date.now()}.json`), JSON.stringify({ commit, records: RECORDS, recordBytes: RECORD_BYTES, disk: [disk, diskAfter], produce, clients, recovery, compaction }, null, 2));
