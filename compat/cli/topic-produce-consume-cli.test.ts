// `millrace topic`, `produce`, `consume`, `cluster` and `bench` run as a user runs them: a process against a
// real broker, with output and exit codes checked, and what they wrote read back by kcat.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';

const main = join(resolve(import.meta.dirname, '../..'), 'packages/millrace/src/main.ts');
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ args: ['--set', 'group.initial.rebalance.delay.ms=0'] });
});

after(async () => {
  await broker?.dispose();
});

function millrace(args: string[], input?: string) {
  return runTool(process.execPath, ['--conditions=development', main, ...args], {
    timeoutMs: 60_000, allowFailure: true, input, env: { ...process.env, MILLRACE_BROKERS: broker.bootstrap },
  });
}

test('every command explains itself; a wrong command line exits 2, an unreachable broker 1', { timeout: 60_000 }, async () => {
  for (const command of ['topic', 'produce', 'consume', 'cluster', 'bench', 'connect', 'user', 'acl']) {
    const help = await millrace([command, '--help']);
    assert.equal(help.code, 0, `${command} --help`);
    assert.match(help.stdout, new RegExp(`millrace ${command}`));
  }
  const top = await millrace(['--help']);
  assert.match(top.stdout, /Exit codes: 0 done, 1 the operation failed, 2 the command line is wrong/);
  assert.equal((await millrace(['topic', 'frobnicate'])).code, 2);
  assert.equal((await millrace(['produce'])).code, 2);
  assert.equal((await millrace(['consume', 't', '-o', 'yesterday'])).code, 2);
  const nowhere = await runTool(process.execPath, ['--conditions=development', main, 'topic', 'list', '--brokers', '127.0.0.1:1'], { timeoutMs: 30_000, allowFailure: true });
  assert.equal(nowhere.code, 1);
  assert.match(nowhere.stderr, /cannot connect to 127\.0\.0\.1:1.*millrace dev/);
});

test('topic: create with settings, list, describe, alter, grow, delete; Kafka errors by name with a hint', { timeout: 60_000 }, async () => {
  const created = await millrace(['topic', 'create', 'orders', '-p', '3', '-c', 'retention.ms=3600000']);
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /created topic orders \(3 partitions/);
  const again = await millrace(['topic', 'create', 'orders']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /TOPIC_ALREADY_EXISTS.*millrace topic describe/);

  const listed = JSON.parse((await millrace(['topic', 'list', '--output', 'json'])).stdout) as { topic: string; partitions: number }[];
  assert.deepEqual(listed.find((t) => t.topic === 'orders'), { topic: 'orders', partitions: 3, replicas: 1 });

  assert.equal((await millrace(['topic', 'alter-config', 'orders', '--set', 'cleanup.policy=compact', '--delete', 'retention.ms'])).code, 0);
  assert.equal((await millrace(['topic', 'add-partitions', 'orders', '--num', '4'])).code, 0);
  const shrink = await millrace(['topic', 'add-partitions', 'orders', '--num', '2']);
  assert.equal(shrink.code, 1);
  assert.match(shrink.stderr, /INVALID_PARTITIONS.*can only grow/);

  const described = JSON.parse((await millrace(['topic', 'describe', 'orders', '--output', 'json'])).stdout) as { partitions: unknown[]; configs: { name: string; value: string }[] };
  assert.equal(described.partitions.length, 4);
  assert.deepEqual(described.configs.map((c) => [c.name, c.value]), [['cleanup.policy', 'compact']]);
  const table = await millrace(['topic', 'describe', 'orders']);
  assert.match(table.stdout, /Partition\s+Leader\s+Replicas\s+ISR\s+Log-Start-Offset\s+Log-End-Offset/);

  assert.equal((await millrace(['topic', 'delete', 'orders'])).code, 0);
  const gone = await millrace(['topic', 'describe', 'orders']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
});

test('produce: keys, headers, partition and codec as kcat reads them; a bad line stops after what came before', { timeout: 60_000 }, async () => {
  assert.equal((await millrace(['topic', 'create', 'lines', '-p', '2'])).code, 0);
  const sent = await millrace(['produce', 'lines', '-k', ':', '-H', 'source=cli', '-z', 'zstd', '--output', 'json'], 'user-1:paid:twice\nuser-2:refunded\n:no key\n');
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal(JSON.parse(sent.stdout).records, 3);
  const read = await consumeAllWithKcat(broker.bootstrap, 'lines');
  assert.deepEqual(read.map((r) => [r.key, r.payload, r.headers]).sort(), [['', 'no key', ['source', 'cli']], ['user-1', 'paid:twice', ['source', 'cli']], ['user-2', 'refunded', ['source', 'cli']]]);

  const dir = mkdtempSync(join(tmpdir(), 'millrace-cli-'));
  const file = join(dir, 'by-partition.tsv');
  writeFileSync(file, '1\tk\tfirst\n1\tk\tsecond\n');
  await millrace(['topic', 'create', 'by-partition', '-p', '2']);
  const byPartition = await millrace(['produce', 'by-partition', '--format', '%p\\t%k\\t%v', file]);
  assert.equal(byPartition.code, 0, byPartition.stderr);
  assert.deepEqual((await consumeAllWithKcat(broker.bootstrap, 'by-partition')).map((r) => [r.partition, r.key, r.payload]), [[1, 'k', 'first'], [1, 'k', 'second']]);

  const bad = await millrace(['produce', 'stops', '-k', ':'], 'a:1\nno separator here\nb:2\n');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /line 2 does not match the format: "no separator here"/);
  assert.match(bad.stderr, /produced 1 records/);
  assert.deepEqual((await consumeAllWithKcat(broker.bootstrap, 'stops')).map((r) => r.payload), ['1']);
});

test('consume: from the beginning to the end, -n, -o -N and @time, a format and JSON; a group resumes where it committed', { timeout: 90_000 }, async () => {
  await millrace(['topic', 'create', 'readable', '-p', '1']);
  const before = Date.now();
  await millrace(['produce', 'readable', '-k', '='], Array.from({ length: 10 }, (_, i) => `k${i}=v${i}`).join('\n') + '\n');
  const all = await millrace(['consume', 'readable']);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout, Array.from({ length: 10 }, (_, i) => `v${i}\n`).join(''));

  assert.equal((await millrace(['consume', 'readable', '-o', '-2', '--format', '%p/%o %k=%v\\n'])).stdout, '0/8 k8=v8\n0/9 k9=v9\n');
  assert.equal((await millrace(['consume', 'readable', '-o', '7', '-n', '1'])).stdout, 'v7\n');
  assert.equal((await millrace(['consume', 'readable', '-o', `@${new Date(before - 60_000).toISOString()}`, '-n', '2'])).stdout, 'v0\nv1\n');
  assert.equal((await millrace(['consume', 'readable', '-o', 'end'])).stdout, '');
  const json = (await millrace(['consume', 'readable', '-n', '1', '--output', 'json'])).stdout.trim();
  assert.deepEqual(Object.keys(JSON.parse(json)), ['topic', 'partition', 'offset', 'timestamp', 'key', 'value', 'headers']);

  assert.equal((await millrace(['consume', 'readable', '-g', 'cli-group', '-n', '4'])).stdout, 'v0\nv1\nv2\nv3\n');
  assert.equal((await millrace(['consume', 'readable', '-g', 'cli-group'])).stdout, 'v4\nv5\nv6\nv7\nv8\nv9\n');
  assert.equal((await millrace(['consume', 'readable', '-g', 'cli-group'])).stdout, '');
});

test('cluster info names the broker and counts the topics', { timeout: 30_000 }, async () => {
  const info = JSON.parse((await millrace(['cluster', 'info', '--output', 'json'])).stdout) as { clusterId: string; brokers: { nodeId: number; port: number }[]; topics: number };
  assert.ok(info.clusterId);
  assert.deepEqual(info.brokers.map((b) => [b.nodeId, b.port]), [[0, broker.port]]);
  assert.ok(info.topics >= 1);
});

test('bench produce, consume and e2e measure what they say: every record sent, read, and timed end to end', { timeout: 120_000 }, async () => {
  await millrace(['topic', 'create', 'benched', '-p', '2']);
  const produced = await millrace(['bench', 'produce', 'benched', '-n', '3000', '-s', '200', '--output', 'json']);
  assert.equal(produced.code, 0, produced.stderr);
  const p = JSON.parse(produced.stdout) as { records: number; recordsPerSecond: number; sendP99Ms: number };
  assert.equal(p.records, 3000);
  assert.ok(p.recordsPerSecond > 0 && p.sendP99Ms > 0);
  assert.equal((await consumeAllWithKcat(broker.bootstrap, 'benched')).length, 3000);

  const consumed = JSON.parse((await millrace(['bench', 'consume', 'benched', '--output', 'json'])).stdout) as { records: number };
  assert.equal(consumed.records, 3000);

  await millrace(['topic', 'create', 'latency', '-p', '1']);
  const e2e = await millrace(['bench', 'e2e', 'latency', '--rate', '500', '-d', '2', '--output', 'json']);
  assert.equal(e2e.code, 0, e2e.stderr);
  const l = JSON.parse(e2e.stdout) as { records: number; received: number; p50Ms: number; p99Ms: number; p999Ms: number };
  assert.equal(l.received, l.records);
  assert.equal(l.records, 1000);
  assert.ok(l.p50Ms > 0 && l.p50Ms <= l.p99Ms && l.p99Ms <= l.p999Ms);
});
