// Replication's cost and a leader's failover, with librdkafka (confluent-kafka) and acks=all:
// produce to replication factor 3 on three local brokers against replication factor 1 on one
// broker in the same run, and the time from a partition leader's SIGKILL until producing to that
// partition succeeds again, with the default settings.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker } from '../compat/harness/broker-process.ts';
import { runTool } from '../compat/harness/run-tool.ts';
import { startCluster } from '../compat/cluster/cluster-process.ts';

/** Where the machine's time went while one producer ran. */
export interface CpuUse {
  /** CPU seconds of each broker process. */
  brokers: number[];
  /** CPU seconds of the whole machine (all cores), and what all cores together could have given. */
  machineBusy: number;
  machineAvailable: number;
}

export interface ClusterBench {
  records: number;
  recordBytes: number;
  singleBrokerRf1RecordsPerSecond: number;
  clusterRf3RecordsPerSecond: number;
  rf1Cpu: CpuUse;
  rf3Cpu: CpuUse;
  /** RF 3 throughput over RF 1 throughput (target >= 0.5). */
  ratio: number;
  /** From a partition leader's SIGKILL until a record produced to that partition right after it is acknowledged. */
  failoverSeconds: number;
}

const here = import.meta.dirname;
const PARTITIONS = '4';

/** CPU seconds a process has used (user and system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds the whole machine has spent busy (all but idle and I/O wait), and its core count. */
function machineSeconds(): { busy: number; cores: number } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const all = lines[0].split(/\s+/).slice(1).map(Number);
  return { busy: (all.reduce((a, b) => a + b, 0) - all[3] - all[4]) / 100, cores: lines.filter((l) => /^cpu\d/.test(l)).length };
}

async function produceRate(bootstrap: string, topic: string, records: number, recordBytes: number, brokerPids: number[]): Promise<{ rate: number; cpu: CpuUse }> {
  const brokersBefore = brokerPids.map(cpuSeconds);
  const machineBefore = machineSeconds();
  const started = performance.now();
  const { stdout } = await runTool('/usr/bin/python3', [join(here, 'librdkafka-produce.py'), bootstrap, topic, String(records), String(recordBytes)], { timeoutMs: 600_000 });
  const elapsed = (performance.now() - started) / 1000;
  const machineAfter = machineSeconds();
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { records: number; seconds: number; errors: number };
  if (result.errors > 0) throw new Error(`${result.errors} records of ${topic} failed`);
  const cpu = { brokers: brokerPids.map((pid, i) => cpuSeconds(pid) - brokersBefore[i]), machineBusy: machineAfter.busy - machineBefore.busy, machineAvailable: elapsed * machineAfter.cores };
  return { rate: result.records / result.seconds, cpu };
}

async function leaderOf(bootstrap: string, topic: string, partition: number): Promise<number> {
  const { stdout } = await runTool('kcat', ['-b', bootstrap, '-L', '-J', '-t', topic], { timeoutMs: 30_000 });
  const md = JSON.parse(stdout) as { topics: { partitions: { partition: number; leader: number }[] }[] };
  return md.topics[0].partitions.find((p) => p.partition === partition)!.leader;
}

/**
 * Kills the leader of partition 0, then produces one record to that partition with kcat (acks=all,
 * librdkafka's defaults) at once: the time from the kill until that record is acknowledged.
 */
async function measureFailover(bootstrap: string, kill: (nodeId: number) => Promise<void>): Promise<number> {
  const topic = 'failover-bench';
  await runTool('kcat', ['-b', bootstrap, '-P', '-t', topic, '-X', 'acks=all'], { input: 'warm-up\n', timeoutMs: 60_000 });
  const leader = await leaderOf(bootstrap, topic, 0);
  const killedAt = performance.now();
  await kill(leader);
  await runTool('kcat', ['-b', bootstrap, '-P', '-t', topic, '-p', '0', '-X', 'acks=all'], { input: 'after the kill\n', timeoutMs: 120_000 });
  return (performance.now() - killedAt) / 1000;
}

export async function benchCluster(records = Number(process.env.BENCH_CLUSTER_RECORDS ?? 200_000), recordBytes = 1024): Promise<ClusterBench> {
  const single = await startBroker({ args: ['--set', `num.partitions=${PARTITIONS}`] });
  let rf1: Awaited<ReturnType<typeof produceRate>>;
  try {
    rf1 = await produceRate(single.bootstrap, 'rf1', records, recordBytes, [single.process.pid!]);
  } finally {
    await single.dispose();
  }
  // Default settings but the ones that make it a replicated cluster.
  const cluster = await startCluster(3, { 'num.partitions': PARTITIONS, 'default.replication.factor': '3', 'min.insync.replicas': '2' });
  try {
    const rf3 = await produceRate(cluster.bootstrap, 'rf3', records, recordBytes, cluster.brokers.map((b) => b.process.pid!));
    const failoverSeconds = await measureFailover(cluster.bootstrap, (nodeId) => cluster.brokers[nodeId - 1].stop('SIGKILL').then(() => undefined));
    return {
      records, recordBytes,
      singleBrokerRf1RecordsPerSecond: rf1.rate, clusterRf3RecordsPerSecond: rf3.rate, rf1Cpu: rf1.cpu, rf3Cpu: rf3.cpu,
      ratio: rf3.rate / rf1.rate, failoverSeconds,
    };
  } finally {
    await cluster.dispose();
  }
}

export function clusterReport(b: ClusterBench): string[] {
  const mb = (rate: number) => ((rate * b.recordBytes) / 1e6).toFixed(1);
  return [
    `\nreplication (librdkafka, acks=all, ${b.records} records of ${b.recordBytes} B, ${PARTITIONS} partitions):`,
    `  one broker, replication factor 1:        ${b.singleBrokerRf1RecordsPerSecond.toFixed(0)} records/s (${mb(b.singleBrokerRf1RecordsPerSecond)} MB/s)`,
    `  three brokers, factor 3, min ISR 2:      ${b.clusterRf3RecordsPerSecond.toFixed(0)} records/s (${mb(b.clusterRf3RecordsPerSecond)} MB/s)`,
    `  ratio ${b.ratio.toFixed(2)} (target >= 0.5)`,
    `  CPU while producing: factor 1 broker ${cpuLine(b.rf1Cpu)}`,
    `                       factor 3 brokers ${cpuLine(b.rf3Cpu)}`,
    `  a leader's SIGKILL until a record sent to its partition is acknowledged: ${b.failoverSeconds.toFixed(2)} s with default settings (target < 2 s)`,
  ];
}

function cpuLine(c: CpuUse): string {
  return `${c.brokers.map((s) => s.toFixed(2)).join(' + ')} s; machine busy ${c.machineBusy.toFixed(2)} of ${c.machineAvailable.toFixed(2)} core-seconds (${((100 * c.machineBusy) / c.machineAvailable).toFixed(0)}%)`;
}
