// A replicated cluster of three broker processes and etcd, driven by kcat and confluent-kafka
// (librdkafka) with acks=all: records reach every replica, and a leader's SIGKILL loses nothing
// acknowledged.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { consumeAllWithKcat } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';
import { startCluster, type RunningCluster } from './cluster-process.ts';

let cluster: RunningCluster;

before(async () => {
  cluster = await startCluster(3, {
    'num.partitions': '3',
    'default.replication.factor': '3',
    'min.insync.replicas': '2',
    // Short enough that a killed broker's leaderships move within a test's patience.
    'broker.session.timeout.ms': '3000',
  });
});

after(async () => {
  await cluster?.dispose();
});

interface KcatMetadata {
  brokers: { id: number; name: string }[];
  topics: { topic: string; partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[] }[];
}

async function metadata(topic: string, bootstrap = cluster.bootstrap): Promise<KcatMetadata> {
  const { stdout } = await runTool('kcat', ['-b', bootstrap, '-L', '-J', '-t', topic], { timeoutMs: 30_000 });
  return JSON.parse(stdout) as KcatMetadata;
}

async function until<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('kcat sees three brokers; a topic it creates has three replicas per partition, all in sync, and reads back from any broker', async () => {
  const lines = Array.from({ length: 3_000 }, (_, i) => `k${i % 50}:v${i}`).join('\n') + '\n';
  await runTool('kcat', ['-b', cluster.bootstrap, '-P', '-t', 'replicated', '-K:', '-X', 'acks=all'], { input: lines, timeoutMs: 60_000 });
  const md = await until('every ISR full', async () => {
    const m = await metadata('replicated');
    return m.topics[0].partitions.every((p) => p.isrs.length === 3) ? m : null;
  });
  assert.deepEqual(md.brokers.map((b) => b.id).sort(), [1, 2, 3]);
  assert.equal(md.topics[0].partitions.length, 3);
  for (const p of md.topics[0].partitions) assert.deepEqual(p.replicas.map((r) => r.id).sort(), [1, 2, 3]);
  const leaders = new Set(md.topics[0].partitions.map((p) => p.leader));
  assert.equal(leaders.size, 3, 'leaders are spread over the brokers');
  for (const b of cluster.brokers) {
    const records = await consumeAllWithKcat(b.bootstrap, 'replicated');
    assert.equal(records.length, 3_000);
    assert.equal(new Set(records.map((r) => r.payload)).size, 3_000);
  }
});

test('confluent-kafka produces with acks=all and idempotence while a leader is SIGKILLed and restarted: every acknowledged record is read back once, in order', async () => {
  const topic = 'failover';
  await runTool('kcat', ['-b', cluster.bootstrap, '-P', '-t', topic, '-X', 'acks=all'], { input: 'warm-up\n', timeoutMs: 60_000 });
  await until('every ISR full', async () => (await metadata(topic)).topics[0].partitions.every((p) => p.isrs.length === 3));
  const producer = spawn('/usr/bin/python3', [join(import.meta.dirname, '../crash/acked_producer.py'), cluster.bootstrap, topic, 'idempotent'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const acked: { p: number; o: number; v: string }[] = [];
  let out = '';
  producer.stdout.setEncoding('utf8').on('data', (text: string) => {
    out += text;
    const lines = out.split('\n');
    out = lines.pop()!;
    for (const line of lines) if (line.includes('"v"')) acked.push(JSON.parse(line) as { p: number; o: number; v: string });
  });
  const exited = new Promise<number | null>((resolve) => producer.once('exit', resolve));
  await until('acknowledgements before the kill', async () => acked.length > 2_000);
  const victimId = (await metadata(topic)).topics[0].partitions.find((p) => p.partition === 0)!.leader;
  const victim = cluster.brokers[victimId - 1];
  await victim.stop('SIGKILL');
  const ackedAtKill = acked.length;
  await until('acknowledgements after the kill', async () => acked.length > ackedAtKill + 2_000, 60_000);
  await victim.restart();
  await until('the restarted broker back in every ISR', async () => (await metadata(topic)).topics[0].partitions.every((p) => p.isrs.length === 3), 60_000);
  const ackedAtRestart = acked.length;
  await until('acknowledgements after the restart', async () => acked.length > ackedAtRestart + 1_000, 60_000);
  producer.stdin.end();
  assert.equal(await exited, 0);
  const read = await consumeAllWithKcat(cluster.bootstrap, topic);
  const byValue = new Map(read.map((r) => [r.payload, r]));
  assert.equal(byValue.size, read.length, 'no value read twice');
  for (const a of acked) {
    const r = byValue.get(a.v);
    assert.ok(r, `acknowledged ${a.v} at ${a.p}/${a.o} was lost`);
    assert.equal(`${r.partition}/${r.offset}`, `${a.p}/${a.o}`, `${a.v} is not where it was acknowledged`);
  }
  // Per partition, values produced in order are stored in order.
  for (let p = 0; p < 3; p++) {
    const seq = read.filter((r) => r.partition === p && r.payload!.startsWith('value-')).map((r) => Number(r.payload!.slice(6)));
    for (let i = 1; i < seq.length; i++) assert.ok(seq[i] > seq[i - 1], `partition ${p}: value-${seq[i]} after value-${seq[i - 1]}`);
  }
});
