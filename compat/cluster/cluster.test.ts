// A replicated cluster of three broker processes and etcd, driven by kcat and confluent-kafka
// (librdkafka) with acks=all: records reach every replica, and a leader's SIGKILL loses nothing
// acknowledged.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Connection } from '@millrace/client';
import { Admin as PlatformaticAdmin } from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import {
  ApiKey, createElectLeadersRequest, createElectLeadersRequestTopicPartitions, createFindCoordinatorRequest, type ElectLeadersResponse, ErrorCode, errorName,
  type FindCoordinatorResponse,
} from '@millrace/protocol';
import { consumeAllWithKcat, readValuesWithKcat } from '../harness/kcat.ts';
import { freePort } from '../harness/broker-process.ts';
import { runTool } from '../harness/run-tool.ts';
import { startCluster, type RunningCluster } from './cluster-process.ts';
import { startTxnCrashProducer } from '../transactions/txn-crash-producer.ts';
import { noOpenTransaction } from './latest-offsets.ts';
import { checkTransactions } from './txn-checker.ts';

const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cluster: RunningCluster;

before(async () => {
  cluster = await startCluster(3, {
    'num.partitions': '3',
    'default.replication.factor': '3',
    'min.insync.replicas': '2',
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

type ProducerLibrary = 'confluent-kafka' | 'kafkajs' | 'millrace';

/** A producer of value-N records with acks=all and idempotence, printing each acknowledgement as a JSON line. */
function spawnAckedProducer(library: ProducerLibrary, topic: string) {
  return library === 'confluent-kafka'
    ? spawn('/usr/bin/python3', [join(import.meta.dirname, '../crash/acked_producer.py'), cluster.bootstrap, topic, 'idempotent'], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, ['--conditions=development', join(import.meta.dirname, 'acked-producer.ts'), library, cluster.bootstrap, topic], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * Runs a producer (acks=all, idempotence; confluent-kafka unless named) on a new topic while `fault` strikes the
 * leader of partition 0 and then heals; then checks that every acknowledged record is read back
 * once, at the partition and offset it was acknowledged at, and in order per partition.
 */
async function produceThroughFault(topic: string, fault: (victim: RunningCluster['brokers'][number], acknowledged: () => number) => Promise<void>, library: ProducerLibrary = 'confluent-kafka'): Promise<void> {
  await runTool('kcat', ['-b', cluster.bootstrap, '-P', '-t', topic, '-X', 'acks=all'], { input: 'warm-up\n', timeoutMs: 60_000 });
  await until('every ISR full', async () => (await metadata(topic)).topics[0].partitions.every((p) => p.isrs.length === 3));
  const producer = spawnAckedProducer(library, topic);
  let errors = '';
  let summary: { sent: number; failed?: number } | null = null;
  producer.stderr.setEncoding('utf8').on('data', (text: string) => (errors += text));
  const acked: { p: number; o: number | null; v: string }[] = [];
  let out = '';
  producer.stdout.setEncoding('utf8').on('data', (text: string) => {
    out += text;
    const lines = out.split('\n');
    out = lines.pop()!;
    for (const line of lines) {
      if (line.includes('"v"')) acked.push(JSON.parse(line) as { p: number; o: number | null; v: string });
      else if (line.includes('"sent"')) summary = JSON.parse(line) as { sent: number; failed?: number };
    }
  });
  const exited = new Promise<number | null>((resolve) => producer.once('exit', resolve));
  try {
    await until('acknowledgements before the fault', async () => acked.length > 2_000);
    const victimId = (await metadata(topic)).topics[0].partitions.find((p) => p.partition === 0)!.leader;
    await fault(cluster.brokers[victimId - 1], () => acked.length);
    await until('the struck broker back in every ISR', async () => (await metadata(topic)).topics[0].partitions.every((p) => p.isrs.length === 3), 60_000);
    const ackedAtHeal = acked.length;
    await until('acknowledgements after the heal', async () => acked.length > ackedAtHeal + 1_000, 60_000);
  } catch (err) {
    // What the producer and the brokers said is the only account of a stall that passes on a rerun.
    const brokers = cluster.brokers.map((b, i) => `broker ${i + 1}:\n${b.output().split('\n').slice(-40).join('\n')}`).join('\n');
    const state = producer.exitCode === null ? 'running' : `exited ${producer.exitCode}`;
    producer.kill('SIGKILL');
    throw new Error(`${(err as Error).message}; ${acked.length} acknowledged, producer ${state}\nproducer stderr:\n${errors.slice(-4_000)}\n${brokers}`, { cause: err });
  } finally {
    producer.stdin.end();
  }
  assert.equal(await exited, 0, errors);
  assert.equal(summary!.failed ?? 0, 0, `every send succeeded, the fault included: ${errors}`);
  const read = await consumeAllWithKcat(cluster.bootstrap, topic);
  const byValue = new Map(read.map((r) => [r.payload, r]));
  assert.equal(byValue.size, read.length, 'no value read twice');
  for (const a of acked) {
    const r = byValue.get(a.v);
    assert.ok(r, `acknowledged ${a.v} at ${a.p}/${a.o} was lost`);
    // librdkafka acknowledges some retried sends without an offset (see checker.ts): those count by presence.
    if (a.o !== null) assert.equal(`${r.partition}/${r.offset}`, `${a.p}/${a.o}`, `${a.v} is not where it was acknowledged`);
  }
  for (let p = 0; p < 3; p++) {
    const seq = read.filter((r) => r.partition === p && r.payload!.startsWith('value-')).map((r) => Number(r.payload!.slice(6)));
    for (let i = 1; i < seq.length; i++) assert.ok(seq[i] > seq[i - 1], `partition ${p}: value-${seq[i]} after value-${seq[i - 1]}`);
  }
}

test('confluent-kafka produces with acks=all and idempotence while a leader is SIGKILLed and restarted: every acknowledged record is read back once, in order', async () => {
  await produceThroughFault('failover', async (victim) => {
    const id = cluster.brokers.indexOf(victim) + 1;
    await victim.stop('SIGKILL');
    // Sooner than the 6 s registration lease: the other brokers see the dead broker's port refuse connections.
    await until('another leader for partition 0', async () => {
      const md = await metadata('failover');
      return md.brokers.length === 2 && md.topics[0].partitions.find((p) => p.partition === 0)!.leader !== id;
    }, 5_000);
    await victim.restart();
  });
});

/** A leader paused (SIGSTOP) past its 6 s lease, then resumed: its leaderships move meanwhile. */
async function pauseLeader(victim: RunningCluster['brokers'][number], topic: string): Promise<void> {
  victim.process.kill('SIGSTOP');
  try {
    await until('the paused broker dropped from the cluster', async () => (await metadata(topic)).brokers.length === 2, 30_000);
    await sleep(2_000);
  } finally {
    victim.process.kill('SIGCONT');
  }
}

test('confluent-kafka produces with acks=all and idempotence while a leader is paused (SIGSTOP) past its lease, then resumed: every acknowledged record is read back once, in order', async () => {
  // A paused broker refuses nothing: its leaderships move when its lease (6 s) runs out.
  await produceThroughFault('paused', (victim) => pauseLeader(victim, 'paused'));
});

for (const library of ['kafkajs', 'millrace'] as const) {
  const name = library === 'kafkajs' ? 'KafkaJS' : 'The Millrace client';
  test(`${name} produces with acks=all and idempotence while a leader is SIGKILLed and restarted: every acknowledged record is read back once, in order`, async () => {
    await produceThroughFault(`failover-${library}`, async (victim) => {
      await victim.stop('SIGKILL');
      await sleep(2_000);
      await victim.restart();
    }, library);
  });
  test(`${name} produces with acks=all and idempotence while a leader is paused (SIGSTOP) past its lease, then resumed: every acknowledged record is read back once, in order`, async () => {
    await produceThroughFault(`paused-${library}`, (victim) => pauseLeader(victim, `paused-${library}`), library);
  });
}

test('etcd paused for 10 s while confluent-kafka produces: leaders keep serving what they hold, and nothing acknowledged is lost once etcd returns', async () => {
  await produceThroughFault('etcd-paused', async (_victim, acknowledged) => {
    cluster.etcd.pause();
    try {
      await sleep(2_000);
      const before = acknowledged();
      await sleep(8_000);
      assert.ok(acknowledged() > before + 1_000, `only ${acknowledged() - before} acknowledgements in 8 s without etcd`);
    } finally {
      cluster.etcd.resume();
    }
  });
});

/** The node id FindCoordinator names for a group (or, keyType 1, a transactional id), asked of any live broker. */
async function coordinatorOf(key: string, keyType: 0 | 1 = 0): Promise<number> {
  const live = cluster.brokers.filter((b) => b.process.exitCode === null && b.process.signalCode === null);
  const connection = await Connection.open(live[0].host, live[0].port);
  try {
    const response = await connection.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 3, createFindCoordinatorRequest({ key, keyType }));
    if (response.errorCode !== ErrorCode.NONE) throw new Error(`FindCoordinator: ${errorName(response.errorCode)}`);
    return response.nodeId;
  } finally {
    connection.close();
  }
}

function startMember(group: string, topic: string): { values: Set<string>; lines: string[]; stop(): Promise<void> } {
  const member = spawn('/usr/bin/python3', [join(import.meta.dirname, '../groups/group_member.py'), cluster.bootstrap, topic, group], { stdio: ['ignore', 'pipe', 'pipe'] });
  const values = new Set<string>();
  const lines: string[] = [];
  let out = '';
  member.stdout.setEncoding('utf8').on('data', (text: string) => {
    out += text;
    const parts = out.split('\n');
    out = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      const parsed = JSON.parse(line) as { value?: string };
      if (parsed.value !== undefined) values.add(parsed.value);
    }
  });
  const exited = new Promise((resolve) => member.once('exit', resolve));
  return { values, lines, stop: async () => {
    member.kill('SIGKILL');
    await exited;
  } };
}

test('a confluent-kafka group member keeps consuming and committing when its group coordinator is SIGKILLed; a new member resumes after the commits', async () => {
  const topic = 'grouped';
  const produce = (from: number, count: number) =>
    runTool('kcat', ['-b', cluster.bootstrap, '-P', '-t', topic, '-X', 'acks=all'], { input: Array.from({ length: count }, (_, i) => `v${from + i}`).join('\n') + '\n', timeoutMs: 60_000 });
  await produce(0, 1_000);
  await until('every ISR full', async () => (await metadata(topic)).topics[0].partitions.every((p) => p.isrs.length === 3));
  const member = startMember('survivors', topic);
  try {
    await until('the first 1,000 consumed', async () => member.values.size === 1_000, 60_000);
    const coordinatorId = await coordinatorOf('survivors');
    const coordinator = cluster.brokers[coordinatorId - 1];
    await coordinator.stop('SIGKILL');
    await until('another broker coordinates the group', async () => (await coordinatorOf('survivors')) !== coordinatorId, 30_000);
    await produce(1_000, 1_000);
    await until('the next 1,000 consumed', async () => member.values.size === 2_000, 60_000);
    await coordinator.restart();
  } finally {
    await member.stop();
  }
  // Commits made before and after the move are kept: a new member starts after the last of them.
  const next = startMember('survivors', topic);
  try {
    await produce(2_000, 10);
    await until('the 10 new records consumed', async () => [...Array(10).keys()].every((i) => next.values.has(`v${2_000 + i}`)), 60_000);
    const old = [...next.values].filter((v) => Number(v.slice(1)) < 2_000);
    // The member commits after each record, so at most the record it was handling when killed may come again per partition.
    assert.ok(old.length <= 3, `a new member re-read ${old.length} committed records: ${old.slice(0, 5).join(', ')}`);
  } finally {
    await next.stop();
  }
});

test('a KafkaJS consumer group goes on consuming and committing when its coordinator is SIGKILLed, and a restarted group reads only what is new', async () => {
  const topic = 'grouped-kafkajs';
  const group = 'kafkajs-survivors';
  const produce = (from: number, count: number) =>
    runTool('kcat', ['-b', cluster.bootstrap, '-P', '-t', topic, '-X', 'acks=all'], { input: Array.from({ length: count }, (_, i) => `v${from + i}`).join('\n') + '\n', timeoutMs: 60_000 });
  await produce(0, 600);
  await until('every ISR full', async () => (await metadata(topic)).topics[0].partitions.every((p) => p.isrs.length === 3));
  const kafka = new Kafka({ clientId: 'cluster-group', brokers: cluster.brokers.map((b) => b.bootstrap), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  // KafkaJS commits in the background: what the group's coordinator holds is asked of it.
  const committed = async () => (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0].partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  const consume = async (seen: Set<string>) => {
    const consumer = kafka.consumer({ groupId: group });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
    return consumer;
  };
  try {
    const first = new Set<string>();
    const consumer = await consume(first);
    try {
      await until('the first 600 consumed and committed', async () => first.size === 600 && (await committed()) === 600, 60_000);
      const coordinatorId = await coordinatorOf(group);
      await cluster.brokers[coordinatorId - 1].stop('SIGKILL');
      await produce(600, 600);
      // KafkaJS keeps calling the dead coordinator until its retries run out (about 45 s), then finds the new one.
      await until('the next 600 consumed and committed to the new coordinator', async () => first.size === 1_200 && (await committed()) === 1_200, 120_000);
      await cluster.brokers[coordinatorId - 1].restart();
    } finally {
      await consumer.disconnect();
    }
    const second = new Set<string>();
    const again = await consume(second);
    try {
      await produce(1_200, 10);
      await until('the 10 new records consumed', async () => [...Array(10).keys()].every((i) => second.has(`v${1_200 + i}`)), 60_000);
      assert.deepEqual([...second].filter((v) => Number(v.slice(1)) < 1_200), [], 'nothing committed is read again');
    } finally {
      await again.disconnect();
    }
  } finally {
    await admin.disconnect();
  }
});

interface ClusterInfo {
  brokers: { nodeId: number }[];
  controller: { nodeId: number } | null;
  underReplicated: { topic: string; partition: number }[];
  offline: unknown[];
}

async function clusterInfo(): Promise<ClusterInfo> {
  const main = join(import.meta.dirname, '../../packages/millrace/src/main.ts');
  const live = cluster.brokers.filter((b) => b.process.exitCode === null && b.process.signalCode === null).map((b) => b.bootstrap).join(',');
  const { stdout } = await runTool(process.execPath, ['--conditions=development', main, 'cluster', 'info', '--brokers', live, '--output', 'json'], { timeoutMs: 30_000 });
  return JSON.parse(stdout) as ClusterInfo;
}

test('millrace cluster info shows the brokers and controller, and the partitions a dead broker leaves under-replicated until it is back', async () => {
  const before = await until('nothing under-replicated', async () => {
    const info = await clusterInfo();
    return info.underReplicated.length === 0 && info.brokers.length === 3 ? info : null;
  });
  assert.ok(before.controller && [1, 2, 3].includes(before.controller.nodeId));
  const victim = cluster.brokers[2];
  await victim.stop('SIGKILL');
  const during = await until('under-replicated partitions', async () => {
    const info = await clusterInfo();
    return info.brokers.length === 2 && info.underReplicated.length > 0 ? info : null;
  });
  assert.deepEqual(during.offline, [], 'every partition still has a leader');
  await victim.restart();
  await until('every ISR full again', async () => {
    const info = await clusterInfo();
    return info.brokers.length === 3 && info.underReplicated.length === 0;
  }, 60_000);
});

test('@platformatic/kafka\'s describeLogDirs and millrace cluster log-dirs: each broker holds each partition of a factor-3 topic, of the same size as its leader\'s', async () => {
  const values = Array.from({ length: 300 }, (_, i) => `sized-${i}`).join('\n');
  await runTool('kcat', ['-b', cluster.bootstrap, '-t', 'sized', '-P', '-X', 'acks=all', '-K', ':'], { input: values.split('\n').map((v, i) => `${i % 7}:${v}`).join('\n') + '\n', timeoutMs: 30_000 });
  const admin = new PlatformaticAdmin({ clientId: 'log-dirs', bootstrapBrokers: cluster.bootstrap.split(',') });
  try {
    // Followers catch up just after the acknowledgement: every replica the same size, in time.
    const bySize = await until('every replica of sized the same size', async () => {
      const described = await admin.describeLogDirs({ topics: [{ name: 'sized', partitions: [0, 1, 2] }] });
      const sizes = new Map<number, Set<bigint>>();
      for (const b of described) for (const dir of b.results) for (const t of dir.topics) for (const p of t.partitions) sizes.set(p.partitionIndex, (sizes.get(p.partitionIndex) ?? new Set()).add(p.partitionSize));
      const brokers = described.map((b) => b.broker).sort();
      return brokers.join() === '1,2,3' && described.every((b) => b.results[0].topics[0]?.partitions.length === 3) && [...sizes.values()].every((s) => s.size === 1) ? sizes : null;
    });
    const total = [...bySize.values()].reduce((n, s) => n + Number([...s][0]), 0);
    assert.ok(total > 300 * 'sized-000'.length, `${total} bytes for 300 records`);
    const main = join(import.meta.dirname, '../../packages/millrace/src/main.ts');
    const { stdout } = await runTool(process.execPath, ['--conditions=development', main, 'cluster', 'log-dirs', 'sized', '--brokers', cluster.bootstrap, '--output', 'json'], { timeoutMs: 30_000 });
    const dirs = JSON.parse(stdout) as { broker: number; usableBytes: number; replicas: { partition: number; sizeBytes: number }[] }[];
    assert.deepEqual(dirs.map((d) => d.broker), [1, 2, 3]);
    for (const d of dirs) {
      assert.ok(d.usableBytes > 0);
      assert.deepEqual(d.replicas.map((r) => [r.partition, r.sizeBytes]), [0, 1, 2].map((p) => [p, Number([...bySize.get(p)!][0])]));
    }
  } finally {
    await admin.close();
  }
});

test('librdkafka transactions through SIGKILLs of the transaction coordinator and of a partition leader: READ_COMMITTED sees every committed transaction whole, none in part, and none hangs', async () => {
  const SIZE = 10;
  const topic = 'txn-cluster';
  await runTool('kcat', ['-b', cluster.bootstrap, '-P', '-t', topic, '-X', 'acks=all'], { input: 'warm-up\n', timeoutMs: 60_000 });
  const producer = startTxnCrashProducer(cluster.bootstrap, topic, SIZE);
  try {
    await until('transactions committed', async () => producer.committed() >= 10, 60_000);
    const coordinator = await coordinatorOf('crash-tx', 1);
    await cluster.brokers[coordinator - 1].stop('SIGKILL');
    let target = producer.committed() + 10;
    await until('transactions committed with the coordinator gone', async () => producer.committed() >= target, 60_000);
    assert.notEqual(await coordinatorOf('crash-tx', 1), coordinator, 'another broker coordinates the transactional id');
    await cluster.brokers[coordinator - 1].restart();
    await until('the restarted broker back in every ISR', async () => (await metadata(topic)).topics[0].partitions.every((p) => p.isrs.length === 3), 60_000);
    const leader = (await metadata(topic)).topics[0].partitions.find((p) => p.partition === 0)!.leader;
    await cluster.brokers[leader - 1].stop('SIGKILL');
    target = producer.committed() + 10;
    await until('transactions committed with a partition leader gone', async () => producer.committed() >= target, 60_000);
    await cluster.brokers[leader - 1].restart();
    target = producer.committed() + 10;
    await until('transactions committed after the restart', async () => producer.committed() >= target, 60_000);
  } finally {
    await producer.stop();
  }
  await until('every partition without an open transaction', () => noOpenTransaction(cluster.bootstrap, topic), 60_000);
  const final = (await consumeAllWithKcat(cluster.bootstrap, topic, 'read_committed'))
    .filter((r) => r.payload !== 'warm-up')
    .map((r) => ({ consumer: 'final', partition: r.partition, offset: r.offset, value: r.payload ?? '' }));
  const anomalies = checkTransactions(producer.outcomes, SIZE, [], final);
  const outcomes = [...producer.outcomes.values()];
  console.log(`cluster transactions: ${outcomes.length} transactions, ${producer.committed()} committed, ${outcomes.filter((k) => k === 'unknown').length} with unknown outcome, ${outcomes.filter((k) => k === 'aborted').length} aborted`);
  assert.deepEqual(anomalies, { abortedReads: [], partialTransactions: [], lostTransactions: [], nonMonotonicTxnReads: [] }, producer.stderr());
});

test('librdkafka consume-transform-produce with send_offsets_to_transaction across the cluster: each input once in the output, and the group\'s offsets at the input\'s end', async () => {
  const input = Array.from({ length: 1_500 }, (_, i) => `record-${i}`);
  await runTool('kcat', ['-b', cluster.bootstrap, '-P', '-t', 'eos-in', '-K', ':', '-X', 'acks=all'], { input: input.map((v, i) => `${i}:${v}`).join('\n') + '\n', timeoutMs: 60_000 });
  const run = await runTool('/usr/bin/python3', [join(import.meta.dirname, '../transactions/eos_processor.py'), cluster.bootstrap, 'eos-in', 'eos-out', 'eos-group', String(input.length), '4'], { timeoutMs: 180_000 });
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as { committed: number; aborted: number };
  assert.equal(result.committed, input.length);
  assert.ok(result.aborted > 0, 'some transactions were aborted on purpose');
  assert.deepEqual(await readValuesWithKcat(cluster.bootstrap, 'eos-out', 'read_committed'), input.map((v) => v.toUpperCase()).sort(), 'each input exactly once');
  const admin = new Kafka({ clientId: 'cluster-eos-check', brokers: cluster.brokers.map((b) => b.bootstrap), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets('eos-in');
    const [group] = await admin.fetchOffsets({ groupId: 'eos-group', topics: ['eos-in'] });
    const committedAt = new Map(group.partitions.map((p) => [p.partition, p.offset]));
    for (const end of ends) assert.equal(committedAt.get(end.partition), end.high, `partition ${end.partition}`);
  } finally {
    await admin.disconnect();
  }
});

test('KafkaJS admin: a topic created with configs, its configs altered and partitions added, is the same seen from every broker', async () => {
  const admin = new Kafka({ clientId: 'cluster-admin', brokers: cluster.brokers.map((b) => b.bootstrap), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'administered', numPartitions: 2, replicationFactor: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] }], waitForLeaders: true });
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'administered', configEntries: [{ name: 'retention.ms', value: '7200000' }, { name: 'min.insync.replicas', value: '2' }] }] });
    await admin.createPartitions({ topicPartitions: [{ topic: 'administered', count: 5 }] });
    // Each broker learns the change from etcd's watch, a moment after the broker that made it.
    for (const broker of cluster.brokers) {
      await until(`broker ${broker.port} to see 5 partitions`, async () => (await metadata('administered', broker.bootstrap)).topics[0].partitions.length === 5, 10_000);
      const single = new Kafka({ clientId: 'cluster-admin-one', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
      await single.connect();
      try {
        const configs = await single.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'administered', configNames: ['retention.ms', 'min.insync.replicas'] }], includeSynonyms: false });
        const values = Object.fromEntries(configs.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
        assert.deepEqual(values, { 'retention.ms': '7200000', 'min.insync.replicas': '2' }, `configs as broker ${broker.port} sees them`);
      } finally {
        await single.disconnect();
      }
      const md = await metadata('administered', broker.bootstrap);
      assert.equal(md.topics[0].partitions.length, 5, `partitions as broker ${broker.port} sees them`);
      for (const p of md.topics[0].partitions) assert.equal(p.replicas.length, 3);
    }
  } finally {
    await admin.disconnect();
  }
});

test('KafkaJS deleteTopicRecords on the leader: the log start moves on the leader, and each follower follows it', async () => {
  const lines = Array.from({ length: 100 }, (_, i) => `r${i}`).join('\n') + '\n';
  await runTool('kcat', ['-b', cluster.bootstrap, '-P', '-t', 'trimmed', '-p', '0', '-X', 'acks=all'], { input: lines, timeoutMs: 60_000 });
  await until('every ISR full', async () => (await metadata('trimmed')).topics[0].partitions.every((p) => p.isrs.length === 3));
  const admin = new Kafka({ clientId: 'cluster-trim', brokers: cluster.brokers.map((b) => b.bootstrap), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.fetchTopicMetadata({ topics: ['trimmed'] });
    await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '40' }] });
    const offsets = await admin.fetchTopicOffsets('trimmed');
    assert.equal(offsets.find((o) => o.partition === 0)!.low, '40');
  } finally {
    await admin.disconnect();
  }
  // Each replica's log start offset checkpoint ("v1 <offset> <crc>") reaches 40.
  const logStart = (dataDir: string) => {
    try {
      return Number(readFileSync(join(dataDir, 'trimmed-0', 'log-start-offset.checkpoint'), 'utf8').split(' ')[1]);
    } catch {
      return 0;
    }
  };
  await until('every replica\'s log start at 40', async () => cluster.brokers.every((b) => logStart(b.dataDir) === 40), 15_000);
});

test('ElectLeaders: after its preferred leader restarts and is back in the ISR, a preferred election gives it the partition again', async () => {
  const admin = new Kafka({ clientId: 'cluster-elect', brokers: cluster.brokers.map((b) => b.bootstrap), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'preferred', replicaAssignment: [{ partition: 0, replicas: [1, 2, 3] }] }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const leader = async () => (await metadata('preferred')).topics[0].partitions[0].leader;
  assert.equal(await leader(), 1);
  await cluster.brokers[0].stop('SIGKILL');
  await until('another leader', async () => (await leader()) !== 1);
  await cluster.brokers[0].restart();
  await until('broker 1 back in the ISR', async () => (await metadata('preferred')).topics[0].partitions[0].isrs.length === 3);
  assert.notEqual(await leader(), 1, 'no election happens by itself before the rebalance interval');
  const elect = async () => {
    const connection = await Connection.open(cluster.brokers[1].host, cluster.brokers[1].port);
    try {
      const response = await connection.request<ElectLeadersResponse>(ApiKey.ElectLeaders, 2, createElectLeadersRequest({ electionType: 0, timeoutMs: 10_000, topicPartitions: [createElectLeadersRequestTopicPartitions({ topic: 'preferred', partitions: [0] })] }));
      return response.replicaElectionResults[0].partitionResult[0].errorCode;
    } finally {
      connection.close();
    }
  };
  assert.equal(errorName(await elect()), 'NONE');
  await until('broker 1 leads again', async () => (await leader()) === 1);
  assert.equal(errorName(await elect()), 'ELECTION_NOT_NEEDED');
});

test('KafkaJS partition reassignment: a partition moves to a broker that is paused at first, with every record, listed while under way', async () => {
  // The broker the partition moves to is paused while the move is requested and listed. KafkaJS
  // sends Metadata to any broker it holds a connection to, so it is kept from connecting to the
  // paused one (as a client cut off from it would be): it is not among the admin's bootstrap
  // brokers, later connections to it fail, and it is not the controller, which KafkaJS must reach.
  const probe = new Kafka({ clientId: 'cluster-move-probe', brokers: cluster.brokers.map((b) => b.bootstrap), logLevel: logLevel.NOTHING }).admin();
  await probe.connect();
  const { controller } = await probe.describeCluster().finally(() => probe.disconnect());
  const ids = cluster.brokers.map((_, i) => i + 1);
  const target = ids.filter((id) => id !== controller).at(-1)!;
  const leaving = ids.find((id) => id !== controller && id !== target)!;
  const stays = controller!;
  const targetBroker = cluster.brokers[target - 1];
  const unreachable = new Set<number>();
  const closedPort = await freePort();
  const socketFactory = ({ host, port, onConnect }: { host: string; port: number; onConnect: () => void }) =>
    unreachable.has(port) ? connect({ host, port: closedPort }, onConnect) : connect({ host, port }, onConnect);
  const reachable = cluster.brokers.filter((b) => b !== targetBroker).map((b) => b.bootstrap);
  const admin = new Kafka({ clientId: 'cluster-move', brokers: reachable, logLevel: logLevel.NOTHING, socketFactory }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'moving', replicaAssignment: [{ partition: 0, replicas: [leaving, stays] }] }], waitForLeaders: true });
    const lines = Array.from({ length: 500 }, (_, i) => `m${i}`).join('\n') + '\n';
    await runTool('kcat', ['-b', cluster.bootstrap, '-P', '-t', 'moving', '-X', 'acks=all'], { input: lines, timeoutMs: 60_000 });
    targetBroker.process.kill('SIGSTOP');
    unreachable.add(targetBroker.port);
    try {
      await admin.alterPartitionReassignments({ topics: [{ topic: 'moving', partitionAssignment: [{ partition: 0, replicas: [target, stays] }] }] });
      const listed = await admin.listPartitionReassignments({ topics: [{ topic: 'moving', partitions: [0] }] });
      // KafkaJS's answer names topics `name` and partitions `partition` (its type declarations say otherwise).
      const ongoing = (listed.topics as unknown as { name: string; partitions: { partition: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }[] }[])
        .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p })));
      assert.deepEqual(ongoing, [{ topic: 'moving', partition: 0, replicas: [target, stays, leaving], addingReplicas: [target], removingReplicas: [leaving] }]);
    } finally {
      targetBroker.process.kill('SIGCONT');
      unreachable.delete(targetBroker.port);
    }
    await until('the move finished', async () => {
      const p = (await metadata('moving')).topics[0].partitions[0];
      return p.replicas.map((r) => r.id).join() === `${target},${stays}` && p.isrs.length === 2 && p.leader !== leaving;
    }, 60_000);
    assert.deepEqual((await admin.listPartitionReassignments({})).topics, []);
    // With the broker that stays down, the one moved to serves the partition alone: it holds every record.
    const staysBroker = cluster.brokers[stays - 1];
    await staysBroker.stop('SIGKILL');
    try {
      await until('the broker moved to leads', async () => (await metadata('moving')).topics[0].partitions[0].leader === target);
      const read = await consumeAllWithKcat(targetBroker.bootstrap, 'moving');
      assert.equal(read.length, 500);
    } finally {
      await staysBroker.restart();
    }
  } finally {
    await admin.disconnect();
  }
});
