// A fault schedule against a three-broker cluster: idempotent confluent-kafka producers (acks=all)
// and kcat consumers run while brokers are killed, restarted and paused, and so does a
// confluent-kafka transactional producer with a READ_COMMITTED kcat consumer; then everything
// heals, the logs are read whole, and the histories are checked (checker.ts, txn-checker.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { random } from '../../packages/broker/src/fuzz/frame-mutator.ts';
import { runTool } from '../harness/run-tool.ts';
import { type Ack, type Anomalies, check, type CheckResult, type Read } from './checker.ts';
import { type RunningCluster, startCluster } from './cluster-process.ts';
import { noOpenTransaction } from './latest-offsets.ts';
import { startTxnCrashProducer, type TxnOutcome } from '../transactions/txn-crash-producer.ts';
import { checkTransactions, type TxnAnomalies } from './txn-checker.ts';
import type { TestNetwork } from './test-network.ts';

export interface FaultRunOptions {
  /** How many faults to inject. */
  faults: number;
  seed: number;
  producers?: number;
  /** With a test network, network partitions join the process faults. */
  network?: TestNetwork;
  log?: (line: string) => void;
}

export interface FaultRunResult extends CheckResult {
  anomalies: Anomalies & TxnAnomalies;
  faultsByKind: Record<string, number>;
  /** Transactions by how their producer saw them end. */
  transactions: Record<TxnOutcome, number>;
  /** Fatal client errors that stopped a producer (each was replaced by a new one). */
  producerErrors: string[];
  /** Each broker's log (node ids 1..3), for the account of a run that found anomalies. */
  brokerLogs: string[];
  sent: number;
  seconds: number;
}

const TOPIC = 'faults';
const TXN_TOPIC = 'faults-txn';
const PARTITIONS = 4;
/** Records per transaction. */
const TXN_SIZE = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function lines(child: ChildProcess, onLine: (line: string) => void): void {
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    buffered += text;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const line of parts) if (line !== '') onLine(line);
  });
}

/**
 * Every record of `topic` from the beginning to the current end, read by kcat and parsed line by
 * line as it comes: a long run's log (millions of records) is more than one string can hold.
 */
function readWhole(bootstrap: string, topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<Read[]> {
  const kcat = spawn('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-X', `isolation.level=${isolation}`, '-f', '%p %o %s\n'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const read: Read[] = [];
  lines(kcat, (line) => {
    const [partition, offset, value] = line.split(' ');
    read.push({ consumer: 'final', partition: Number(partition), offset: Number(offset), value });
  });
  let stderr = '';
  kcat.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-2000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => kcat.kill('SIGKILL'), 600_000);
    kcat.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(read);
      else reject(new Error(`kcat reading ${topic} exited with ${code}: ${stderr}`));
    });
  });
}

async function leaderOf(cluster: RunningCluster, partition: number): Promise<number | null> {
  try {
    const live = cluster.brokers.filter((b) => b.process.exitCode === null && b.process.signalCode === null).map((b) => b.bootstrap).join(',');
    const { stdout } = await runTool('kcat', ['-b', live, '-L', '-J', '-t', TOPIC, '-m', '5'], { timeoutMs: 10_000 });
    const md = JSON.parse(stdout) as { topics: { partitions: { partition: number; leader: number }[] }[] };
    return md.topics[0]?.partitions.find((p) => p.partition === partition)?.leader ?? null;
  } catch {
    return null;
  }
}

async function allInSync(cluster: RunningCluster): Promise<boolean> {
  try {
    const { stdout } = await runTool('kcat', ['-b', cluster.bootstrap, '-L', '-J', '-t', TOPIC, '-m', '5'], { timeoutMs: 10_000 });
    const md = JSON.parse(stdout) as { brokers: unknown[]; topics: { partitions: { isrs: unknown[] }[] }[] };
    return md.brokers.length === 3 && md.topics[0].partitions.length === PARTITIONS && md.topics[0].partitions.every((p) => p.isrs.length === 3);
  } catch {
    return false;
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const PROCESS_FAULTS = ['kill', 'kill-leader', 'pause'];
/** A broker cut off from the other brokers (not etcd), from etcd (not the brokers), or from both: the stale-leader cases. */
const NETWORK_FAULTS = ['cut-from-brokers', 'cut-from-etcd', 'isolate-leader'];

/** One fault, chosen by `rand`, applied and healed; returns its kind. */
async function inject(cluster: RunningCluster, rand: () => number, network?: TestNetwork): Promise<string> {
  const kinds = network ? [...PROCESS_FAULTS, ...NETWORK_FAULTS] : PROCESS_FAULTS;
  const kind = kinds[Math.floor(rand() * kinds.length)];
  let id = 1 + Math.floor(rand() * 3);
  if (kind === 'kill-leader' || kind === 'isolate-leader') id = (await leaderOf(cluster, Math.floor(rand() * PARTITIONS))) ?? id;
  const victim = cluster.brokers[id - 1];
  if (network && NETWORK_FAULTS.includes(kind)) {
    const others = [1, 2, 3].filter((b) => b !== id).map((b) => `b${b}`);
    const cutFrom = kind === 'cut-from-brokers' ? others : kind === 'cut-from-etcd' ? ['etcd'] : ['etcd', ...others];
    network.cut(`b${id}`, cutFrom);
    await sleep(2_000 + rand() * 10_000);
    network.heal();
  } else if (kind === 'pause') {
    // From well under to past the 6 s registration lease.
    victim.process.kill('SIGSTOP');
    await sleep(1_000 + rand() * 8_000);
    victim.process.kill('SIGCONT');
  } else {
    await victim.stop('SIGKILL');
    await sleep(rand() * 3_000);
    await victim.restart();
  }
  return kind;
}

/**
 * What the brokers logged about the partitions where the checks found anomalies (every partition
 * of the run's topics if none names one), and about registrations and the controller: the account
 * of a failed run, which a rerun with the same seed does not repeat.
 */
export function brokerAccount(result: Pick<FaultRunResult, 'anomalies' | 'brokerLogs'>, maxLines = 150): string {
  const partitions = new Set<number>();
  for (const list of Object.values(result.anomalies)) {
    for (const anomaly of list as { partition?: unknown }[]) if (typeof anomaly.partition === 'number') partitions.add(anomaly.partition);
  }
  const names = partitions.size > 0 ? [...partitions].map((p) => `${TOPIC}-${p}`) : [TOPIC, TXN_TOPIC];
  const relevant = (line: string) => names.some((n) => line.includes(n)) || /registration|registered|controller/.test(line);
  return result.brokerLogs.map((log, i) => `broker ${i + 1}:\n${log.split('\n').filter(relevant).slice(-maxLines).join('\n')}`).join('\n');
}

export async function runFaultSchedule(options: FaultRunOptions): Promise<FaultRunResult> {
  const log = options.log ?? (() => {});
  const rand = random(options.seed);
  const started = Date.now();
  const cluster = await startCluster(3, { 'num.partitions': String(PARTITIONS), 'default.replication.factor': '3', 'min.insync.replicas': '2' }, options.network);
  const children: ChildProcess[] = [];
  try {
    for (const topic of [TOPIC, TXN_TOPIC]) await runTool('kcat', ['-b', cluster.bootstrap, '-P', '-t', topic, '-X', 'acks=all'], { input: 'warm-up\n', timeoutMs: 60_000 });
    await until('the topic in sync', () => allInSync(cluster), 60_000);
    const acks: Ack[] = [];
    const producerErrors: string[] = [];
    let stopping = false;
    const polls: Read[] = [];
    const sentCounts: { prefix: string; count: number }[] = [];
    const producerExits: Promise<void>[] = [];
    // A producer stopped by a fatal client error is replaced by a new one (a new producer id and
    // value prefix); its error is kept and reported. What it sent is not known, so any value with
    // its prefix counts as sent.
    const producers = new Set<ChildProcess>();
    const startProducer = (prefix: string): void => {
      const producer = spawn('/usr/bin/python3', [join(import.meta.dirname, '../crash/acked_producer.py'), cluster.bootstrap, TOPIC, 'idempotent', prefix], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(producer);
      producers.add(producer);
      let stderr = '';
      producer.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4000)));
      const entry = { prefix, count: -1 };
      sentCounts.push(entry);
      lines(producer, (line) => {
        const parsed = JSON.parse(line) as { p?: number; o?: number | null; v?: string; sent?: number };
        if (parsed.v !== undefined) acks.push({ value: parsed.v, partition: parsed.p!, offset: parsed.o ?? null });
        if (parsed.sent !== undefined) entry.count = parsed.sent;
      });
      producerExits.push(new Promise((resolve) => producer.once('exit', () => resolve())));
      producer.once('exit', (code) => {
        producers.delete(producer);
        if (stopping) return;
        const fatal = /FATAL[^\n]*/.exec(stderr)?.[0] ?? `exit code ${code}: ${stderr.slice(-500)}`;
        producerErrors.push(`${prefix}: ${fatal}`);
        log(`producer ${prefix} stopped: ${fatal}`);
        startProducer(`${prefix}r`);
      });
    };
    for (let i = 0; i < (options.producers ?? 2); i++) startProducer(`p${i}`);
    for (let i = 0; i < 2; i++) {
      const consumer = spawn('kcat', ['-b', cluster.bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-u', '-q', '-f', '%p %o %s\n'], { stdio: ['ignore', 'pipe', 'ignore'] });
      children.push(consumer);
      lines(consumer, (line) => {
        const [partition, offset, value] = line.split(' ');
        polls.push({ consumer: `kcat-${i}`, partition: Number(partition), offset: Number(offset), value });
      });
    }
    // Transactions: one producer (it replaces its own client when one cannot go on) and a READ_COMMITTED reader.
    const txnPolls: Read[] = [];
    const txnProducer = startTxnCrashProducer(cluster.bootstrap, TXN_TOPIC, TXN_SIZE);
    children.push(txnProducer.process);
    const txnConsumer = spawn('kcat', ['-b', cluster.bootstrap, '-C', '-t', TXN_TOPIC, '-o', 'beginning', '-u', '-q', '-X', 'isolation.level=read_committed', '-f', '%p %o %s\n'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(txnConsumer);
    lines(txnConsumer, (line) => {
      const [partition, offset, value] = line.split(' ');
      if (value !== 'warm-up') txnPolls.push({ consumer: 'kcat-txn', partition: Number(partition), offset: Number(offset), value });
    });
    const faultsByKind: Record<string, number> = {};
    for (let f = 0; f < options.faults; f++) {
      await sleep(1_000 + rand() * 3_000);
      const kind = await inject(cluster, rand, options.network);
      faultsByKind[kind] = (faultsByKind[kind] ?? 0) + 1;
      log(`fault ${f + 1}/${options.faults}: ${kind}; ${acks.length} acknowledged so far`);
    }
    await until('every broker back in every ISR', () => allInSync(cluster), 120_000);
    await sleep(2_000);
    stopping = true;
    for (const p of producers) p.stdin!.end();
    await Promise.all([...producerExits, txnProducer.stop()]);
    const final = await readWhole(cluster.bootstrap, TOPIC, 'read_uncommitted');
    // The consumers that ran through the faults read on until they have seen the end.
    const end = final.length;
    await until('the consumers caught up', async () => polls.filter((p) => p.consumer === 'kcat-0').length >= end && polls.filter((p) => p.consumer === 'kcat-1').length >= end, 60_000).catch(() => log('a consumer did not catch up within 60 s'));
    const sent = new Set<string>(['warm-up']);
    for (const { prefix, count } of sentCounts) {
      if (count >= 0) for (let n = 0; n < count; n++) sent.add(`${prefix}-${n}`);
      else for (const r of [...polls, ...final]) if (r.value.startsWith(`${prefix}-`)) sent.add(r.value);
    }
    const result = check(acks, sent, polls, final);
    // Transactions left open by the producer's last client end at their timeout (10 s).
    await until('no open transaction', () => noOpenTransaction(cluster.bootstrap, TXN_TOPIC).catch(() => false), 60_000);
    const txnFinal = (await readWhole(cluster.bootstrap, TXN_TOPIC, 'read_committed')).filter((r) => r.value !== 'warm-up');
    const anomalies = { ...result.anomalies, ...checkTransactions(txnProducer.outcomes, TXN_SIZE, txnPolls, txnFinal) };
    const transactions: Record<TxnOutcome, number> = { committed: 0, aborted: 0, unknown: 0 };
    for (const outcome of txnProducer.outcomes.values()) transactions[outcome]++;
    return {
      ...result,
      anomalies,
      valid: Object.values(anomalies).every((list) => list.length === 0),
      faultsByKind,
      transactions,
      sent: sent.size - 1,
      producerErrors,
      brokerLogs: cluster.brokers.map((b) => b.output()),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await cluster.dispose();
  }
}
