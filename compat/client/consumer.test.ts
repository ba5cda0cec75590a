// The Millrace TypeScript consumer against a real broker process: it reads intact what kcat and
// KafkaJS produce in every codec; group members share partitions (cooperative-sticky: no partition
// is ever held by two members, and a rebalance moves only what it must); it shares a group with
// KafkaJS consumers; static members come back without a rebalance; read_committed hides aborted
// transactions; seek, pause and resume, offset reset and commits behave as a Kafka user expects.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import { type ConsumedRecord, Consumer, type ConsumerOptions, Producer, roundRobinAssignor, type TopicPartition } from '../../packages/client/src/index.ts';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';

let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ args: ['--set', 'num.partitions=3', '--set', 'group.initial.rebalance.delay.ms=0'] });
});

after(async () => {
  await broker?.dispose();
});

function consumer(options: Partial<ConsumerOptions> = {}): Consumer {
  return new Consumer({ brokers: [broker.bootstrap], autoOffsetReset: 'earliest', heartbeatIntervalMs: 500, sessionTimeoutMs: 10_000, ...options });
}

/** Reads records until `count` arrived (or `timeoutMs` passed), leaving the loop as a user would. */
async function take(c: Consumer, count: number, timeoutMs = 30_000): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  if (count === 0) return out;
  const timer = setTimeout(() => void c.close(), timeoutMs);
  try {
    for await (const r of c.records()) {
      out.push(r);
      if (out.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return out;
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function produce(topic: string, values: string[], partition?: number): Promise<void> {
  const producer = new Producer({ brokers: [broker.bootstrap] });
  try {
    await producer.send(topic, values.map((value) => ({ value, partition })));
  } finally {
    await producer.close();
  }
}

for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
  test(`consumer (assign): reads what kcat produced with ${codec}, keys, values and headers intact, at kcat's offsets`, { timeout: 60_000 }, async () => {
    const topic = `from-kcat-${codec}`;
    const lines = Array.from({ length: 2000 }, (_, i) => `key-${i % 37}:value-${i}-${'é'.repeat(i % 5)}`).join('\n') + '\n';
    await runTool('kcat', ['-b', broker.bootstrap, '-P', '-t', topic, '-K', ':', '-z', codec, '-H', 'origin=kcat', '-X', 'linger.ms=20'], { input: lines, timeoutMs: 30_000 });
    const expected = await consumeAllWithKcat(broker.bootstrap, topic);
    assert.equal(expected.length, 2000);
    const c = consumer();
    c.assign([0, 1, 2].map((partition) => ({ topic, partition })));
    const records = await take(c, 2000);
    await c.close();
    assert.equal(records.length, 2000);
    const byPosition = new Map(records.map((r) => [`${r.partition}/${r.offset}`, r]));
    for (const e of expected) {
      const r = byPosition.get(`${e.partition}/${e.offset}`);
      assert.ok(r, `record at ${e.partition}/${e.offset}`);
      assert.equal(r.key?.toString(), e.key);
      assert.equal(r.value?.toString(), e.payload);
      assert.deepEqual(r.headers.map((h) => [h.key, h.value?.toString()]), [['origin', 'kcat']]);
      assert.equal(r.timestamp, e.ts);
    }
  });
}

test('consumer (group): reads a KafkaJS producer\'s gzip records; a restarted member resumes after its commits, reading nothing twice', { timeout: 90_000 }, async () => {
  const topic = 'from-kafkajs';
  const kafka = new kafkajs.Kafka({ clientId: 'interop', brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const send = (from: number, to: number) => producer.send({
    topic, compression: kafkajs.CompressionTypes.GZIP,
    messages: Array.from({ length: to - from }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}`, headers: { n: String(from + i) } })),
  });
  await send(0, 1000);
  const first = consumer({ groupId: 'resume-group' });
  first.subscribe([topic]);
  const part1 = await take(first, 1000);
  await first.commit();
  await first.close();
  await send(1000, 1500);
  await producer.disconnect();
  const second = consumer({ groupId: 'resume-group' });
  second.subscribe([topic]);
  const part2 = await take(second, 500);
  await second.close();
  const values = [...part1, ...part2].map((r) => r.value!.toString());
  assert.equal(new Set(values).size, 1500, 'no record read twice');
  assert.deepEqual(new Set(part2.map((r) => Number(r.key!.toString().slice(1)))), new Set(Array.from({ length: 500 }, (_, i) => 1000 + i)));
  for (const r of [...part1, ...part2]) assert.equal(r.headers[0].value!.toString(), r.key!.toString().slice(1));
});

test('cooperative-sticky: a second member joining mid-stream takes partitions that were revoked first; none is held twice, nothing read twice', { timeout: 90_000 }, async () => {
  const topic = 'cooperative';
  await produce(topic, []).catch(() => undefined);
  const holders = new Map<string, string>();
  const events: string[] = [];
  const listeners = (name: string): Partial<ConsumerOptions> => ({
    onPartitionsAssigned: (ps: TopicPartition[]) => {
      for (const p of ps) {
        const key = `${p.topic}-${p.partition}`;
        assert.equal(holders.get(key), undefined, `${key} assigned to ${name} while ${holders.get(key)} holds it`);
        holders.set(key, name);
        events.push(`${name}+${p.partition}`);
      }
    },
    onPartitionsRevoked: (ps: TopicPartition[]) => {
      for (const p of ps) {
        holders.delete(`${p.topic}-${p.partition}`);
        events.push(`${name}-${p.partition}`);
      }
    },
  });
  const a = consumer({ groupId: 'coop', ...listeners('a') });
  const b = consumer({ groupId: 'coop', ...listeners('b') });
  const seen: ConsumedRecord[] = [];
  const run = async (c: Consumer) => {
    for await (const batch of c.batches()) {
      for (const r of batch.records) seen.push({ ...r, topic: batch.topic, partition: batch.partition });
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  a.subscribe([topic]);
  const runA = run(a);
  await until(() => holders.size === 3, 'a holding all 3 partitions');
  const producing = (async () => {
    for (let i = 0; i < 30; i++) {
      await produce(topic, Array.from({ length: 100 }, (_, j) => `r${i * 100 + j}`));
      await new Promise((r) => setTimeout(r, 30));
    }
  })();
  await until(() => seen.length > 500, 'a consuming');
  b.subscribe([topic]);
  const runB = run(b);
  await until(() => [...holders.values()].includes('b'), 'b getting a partition');
  await producing;
  await until(() => seen.length >= 3000, 'every record consumed');
  const beforeClose = [...events];
  await Promise.all([a.close(), b.close()]);
  await Promise.all([runA, runB]);
  const values = seen.map((r) => r.value!.toString());
  assert.equal(values.length, 3000, `read ${values.length} records, ${values.length - new Set(values).size} twice`);
  assert.equal(new Set(values).size, 3000);
  const revokedFromA = beforeClose.filter((e) => e.startsWith('a-')).length;
  assert.equal(revokedFromA, 1, `a gives up exactly the one partition b needs, not all (${beforeClose.join(' ')})`);
});

test('our consumer and a KafkaJS consumer share one group (round robin): each record consumed once, and the survivor takes over', { timeout: 90_000 }, async () => {
  const topic = 'shared-with-kafkajs';
  const kafka = new kafkajs.Kafka({ clientId: 'mixed', brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }] });
  await admin.disconnect();
  const seenBy = { ours: [] as string[], kafkajs: [] as string[] };
  const ourPartitions = new Set<number>();
  const kafkajsPartitions = new Set<number>();
  const theirs = kafka.consumer({ groupId: 'mixed', sessionTimeout: 10_000, heartbeatInterval: 500 });
  theirs.on(theirs.events.GROUP_JOIN, (e) => {
    kafkajsPartitions.clear();
    for (const p of e.payload.memberAssignment[topic] ?? []) kafkajsPartitions.add(p);
  });
  await theirs.connect();
  await theirs.subscribe({ topic, fromBeginning: true });
  await theirs.run({ eachMessage: async ({ message }) => void seenBy.kafkajs.push(message.value!.toString()) });
  const ours = consumer({
    groupId: 'mixed',
    assignors: [{ ...roundRobinAssignor, name: 'RoundRobinAssigner' }],
    onPartitionsAssigned: (ps) => ps.forEach((p) => ourPartitions.add(p.partition)),
    onPartitionsRevoked: (ps) => ps.forEach((p) => ourPartitions.delete(p.partition)),
  });
  ours.subscribe([topic]);
  const running = (async () => {
    for await (const r of ours.records()) seenBy.ours.push(r.value!.toString());
  })();
  await until(() => ourPartitions.size === 3 && kafkajsPartitions.size === 3, 'both members holding 3 partitions');
  assert.deepEqual(new Set([...ourPartitions, ...kafkajsPartitions]), new Set([0, 1, 2, 3, 4, 5]));
  const producer = new Producer({ brokers: [broker.bootstrap] });
  await producer.send(topic, Array.from({ length: 3000 }, (_, i) => ({ value: `m${i}`, partition: i % 6 })));
  await until(() => seenBy.ours.length + seenBy.kafkajs.length >= 3000, 'all 3000 consumed');
  assert.equal(seenBy.ours.length, 1500);
  assert.equal(seenBy.kafkajs.length, 1500);
  await theirs.disconnect();
  await until(() => ourPartitions.size === 6, 'our member taking every partition after KafkaJS left');
  await producer.send(topic, Array.from({ length: 600 }, (_, i) => ({ value: `late${i}`, partition: i % 6 })));
  await producer.close();
  await until(() => seenBy.ours.filter((v) => v.startsWith('late')).length >= 600, 'the late records');
  await ours.close();
  await running;
  const all = [...seenBy.ours, ...seenBy.kafkajs];
  assert.equal(all.length, 3600);
  assert.equal(new Set(all).size, 3600);
});

test('a static member restarted within its session timeout gets its partitions back; the other member sees no rebalance', { timeout: 90_000 }, async () => {
  const topic = 'static-members';
  await produce(topic, ['x']);
  const otherEvents: string[] = [];
  const firstPartitions: number[] = [];
  const a1 = consumer({ groupId: 'static', groupInstanceId: 'instance-a', onPartitionsAssigned: (ps) => ps.forEach((p) => firstPartitions.push(p.partition)) });
  const b = consumer({
    groupId: 'static', groupInstanceId: 'instance-b',
    onPartitionsAssigned: (ps) => void otherEvents.push(`+${ps.map((p) => p.partition).join(',')}`),
    onPartitionsRevoked: (ps) => void otherEvents.push(`-${ps.map((p) => p.partition).join(',')}`),
  });
  a1.subscribe([topic]);
  b.subscribe([topic]);
  await until(() => a1.assignment().length + b.assignment().length === 3 && a1.assignment().length > 0 && b.assignment().length > 0, 'both static members assigned');
  await new Promise((r) => setTimeout(r, 1500));
  const before = [...otherEvents];
  const partitionsOfA = a1.assignment().map((p) => p.partition).sort();
  await a1.close();
  const a2Partitions: number[] = [];
  const a2 = consumer({ groupId: 'static', groupInstanceId: 'instance-a', onPartitionsAssigned: (ps) => ps.forEach((p) => a2Partitions.push(p.partition)) });
  a2.subscribe([topic]);
  await until(() => a2.assignment().length === partitionsOfA.length, 'the restarted static member assigned');
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(a2.assignment().map((p) => p.partition).sort(), partitionsOfA);
  assert.deepEqual(otherEvents, before, 'the other member saw no rebalance');
  await Promise.all([a2.close(), b.close()]);
});

test('read_committed hides the records of an aborted KafkaJS transaction; read_uncommitted shows them', { timeout: 60_000 }, async () => {
  const topic = 'txn-read';
  const kafka = new kafkajs.Kafka({ clientId: 'txn', brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({ transactionalId: 'consumer-test-txn', maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  for (const [prefix, outcome] of [['c1-', 'commit'], ['a-', 'abort'], ['c2-', 'commit']] as const) {
    const txn = await producer.transaction();
    await txn.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `${prefix}${i}`, partition: 0 })) });
    if (outcome === 'commit') await txn.commit();
    else await txn.abort();
  }
  await producer.disconnect();
  const committed = consumer({ isolation: 'read_committed' });
  committed.assign([{ topic, partition: 0 }]);
  const visible = await take(committed, 20);
  await committed.close();
  assert.deepEqual(visible.map((r) => r.value!.toString()), [...Array.from({ length: 10 }, (_, i) => `c1-${i}`), ...Array.from({ length: 10 }, (_, i) => `c2-${i}`)]);
  const uncommitted = consumer();
  uncommitted.assign([{ topic, partition: 0 }]);
  assert.equal((await take(uncommitted, 30)).length, 30);
  await uncommitted.close();
});

test('seek, pause and resume, position; leaving a records() loop mid-batch continues at the next record', { timeout: 60_000 }, async () => {
  const topic = 'seek-pause';
  await produce(topic, Array.from({ length: 100 }, (_, i) => `s${i}`), 0);
  const c = consumer();
  c.assign([{ topic, partition: 0, offset: 10 }]);
  const firstFive = await take(c, 5);
  assert.deepEqual(firstFive.map((r) => r.offset), [10, 11, 12, 13, 14]);
  assert.deepEqual((await take(c, 3)).map((r) => r.offset), [15, 16, 17]);
  c.seek({ topic, partition: 0, offset: 60 });
  assert.equal(c.position({ topic, partition: 0 }), 60);
  assert.deepEqual((await take(c, 2)).map((r) => r.value!.toString()), ['s60', 's61']);
  const rest = await take(c, 38);
  assert.equal(rest.at(-1)!.offset, 99);
  c.pause([{ topic, partition: 0 }]);
  assert.deepEqual(c.paused(), [{ topic, partition: 0 }]);
  await produce(topic, ['after-pause'], 0);
  let arrived = false;
  const reading = take(c, 1, 30_000).then((r) => {
    arrived = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(arrived, false, 'a paused partition is not fetched');
  c.resume([{ topic, partition: 0 }]);
  assert.deepEqual((await reading).map((r) => r.value!.toString()), ['after-pause']);
  await c.close();
});

test('offset reset: latest by default skips older records; none fails clearly without a committed offset; commit() and committed(), with metadata', { timeout: 60_000 }, async () => {
  const topic = 'reset-policy';
  await produce(topic, ['old'], 0);
  const latest = new Consumer({ brokers: [broker.bootstrap], groupId: 'reset-latest' });
  latest.assign([{ topic, partition: 0 }]);
  const reading = take(latest, 1);
  await until(() => latest.position({ topic, partition: 0 }) !== null, 'a position');
  await produce(topic, ['new'], 0);
  assert.deepEqual((await reading).map((r) => r.value!.toString()), ['new']);
  await latest.commit();
  assert.deepEqual(await latest.committed([{ topic, partition: 0 }]), [{ topic, partition: 0, offset: 2, metadata: '' }]);
  // Metadata committed beside an offset comes back with it.
  await latest.commit([{ topic, partition: 0, offset: 2, metadata: '{"streamTime":42}' }]);
  assert.deepEqual(await latest.committed([{ topic, partition: 0 }]), [{ topic, partition: 0, offset: 2, metadata: '{"streamTime":42}' }]);
  await latest.close();

  const none = consumer({ groupId: 'reset-none', autoOffsetReset: 'none' });
  none.assign([{ topic, partition: 0 }]);
  await assert.rejects(take(none, 1), (err: Error & { code?: string }) => err.code === 'MILLRACE_NO_OFFSET' && err.message.includes(`${topic}-0`));
  await none.close();
});

test('a group member subscribed to a topic that does not exist yet reads it within seconds of its creation, not at the next metadata refresh', { timeout: 60_000 }, async () => {
  const member = consumer({ groupId: 'waits-for-topic' });
  member.subscribe(['created-later']);
  // Joined, with nothing to assign.
  await new Promise((r) => setTimeout(r, 2000));
  await produce('created-later', ['first', 'second']);
  // Well inside the 5 minutes between metadata refreshes.
  const records = await take(member, 2, 15_000);
  await member.close();
  assert.deepEqual(records.map((r) => r.value!.toString()).sort(), ['first', 'second']);
});
