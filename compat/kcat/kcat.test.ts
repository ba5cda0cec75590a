// kcat (librdkafka 2.0) against a real broker process: metadata, 10,000 keyed records per codec
// with headers, read back exactly; acks=all; restarts (clean and SIGKILL) lose nothing acked.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat, type KcatRecord } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';

const PARTITIONS = 3;
const RECORDS = 10_000;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ args: ['--set', `num.partitions=${PARTITIONS}`] });
});

after(async () => {
  await broker?.dispose();
});

function kcat(args: string[], input?: string) {
  return runTool('kcat', ['-b', broker.bootstrap, ...args], { input, timeoutMs: 120_000 });
}

/** Produces `count` keyed records, one per line "key:value", each with two headers. */
async function produce(topic: string, count: number, extra: string[] = []): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) => `key-${i % 97}:value-${i}`).join('\n') + '\n';
  await kcat(['-P', '-t', topic, '-K:', '-H', 'source=kcat-test', '-H', 'empty=', '-X', 'linger.ms=5', ...extra], lines);
}

function consumeAll(topic: string): Promise<KcatRecord[]> {
  return consumeAllWithKcat(broker.bootstrap, topic);
}

function checkExactly(records: KcatRecord[], count: number, producedAfter: number): void {
  assert.equal(records.length, count);
  const values = new Set(records.map((r) => r.payload));
  assert.equal(values.size, count, 'every record exactly once');
  const byPartition = new Map<number, KcatRecord[]>();
  for (const r of records) {
    const i = Number(r.payload!.slice('value-'.length));
    assert.equal(r.key, `key-${i % 97}`, 'the key stays with its value');
    assert.deepEqual(r.headers, ['source', 'kcat-test', 'empty', ''], 'headers intact');
    assert.equal(r.tstype, 'create');
    assert.ok(r.ts >= producedAfter && r.ts <= Date.now(), `timestamp ${r.ts} within the test's window`);
    if (!byPartition.has(r.partition)) byPartition.set(r.partition, []);
    byPartition.get(r.partition)!.push(r);
  }
  for (const [partition, list] of byPartition) {
    list.forEach((r, i) => assert.equal(r.offset, i, `partition ${partition}: offsets contiguous from 0`));
    // Records with the same key go to one partition and keep their production order there.
    const order = list.map((r) => Number(r.payload!.slice('value-'.length)));
    const perKey = new Map<string, number>();
    for (const [i, r] of list.entries()) {
      const previous = perKey.get(r.key!) ?? -1;
      assert.ok(order[i] > previous, `partition ${partition}: key ${r.key} out of order`);
      perKey.set(r.key!, order[i]);
    }
  }
}

test('kcat -L lists the broker, and topics with their partitions', { timeout: 60_000 }, async () => {
  await produce('listed', 10);
  const { stdout } = await kcat(['-L', '-J']);
  const md = JSON.parse(stdout) as { brokers: { id: number; name: string }[]; topics: { topic: string; partitions: { partition: number; leader: number }[] }[] };
  assert.deepEqual(md.brokers.map((b) => b.name), [`127.0.0.1:${broker.port}`]);
  const topic = md.topics.find((t) => t.topic === 'listed');
  assert.ok(topic, 'the auto-created topic is listed');
  assert.equal(topic.partitions.length, PARTITIONS);
  assert.ok(topic.partitions.every((p) => p.leader === md.brokers[0].id));
});

/** kcat's codec names in the order of Kafka's attribute codes 0-4. */
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

for (const codec of CODECS) {
  test(`kcat produces ${RECORDS} keyed records with ${codec} and reads exactly those back`, { timeout: 180_000 }, async () => {
    const topic = `codec-${codec}`;
    const start = Date.now() - 1;
    await produce(topic, RECORDS, ['-z', codec]);
    checkExactly(await consumeAll(topic), RECORDS, start);
    // The broker stores batches as the producer compressed them: look at the segment files. (librdkafka
    // sends a batch uncompressed when compression would not make it smaller, so some may be plain.)
    const codecs = new Set<number>();
    for (let p = 0; p < PARTITIONS; p++) {
      const segment = readFileSync(join(broker.dataDir, `${topic}-${p}`, '00000000000000000000.log'));
      for (let at = 0; at < segment.length; at += segment.readInt32BE(at + 8) + 12) codecs.add(segment.readInt16BE(at + 21) & 0x07);
    }
    const expected = CODECS.indexOf(codec);
    assert.ok(codecs.has(expected), `stored batches use codecs ${[...codecs]}, expected ${expected}`);
    assert.ok([...codecs].every((c) => c === expected || c === 0), `unexpected codecs ${[...codecs]}`);
  });
}

test('acks=all records survive a clean restart and a SIGKILL', { timeout: 180_000 }, async () => {
  const start = Date.now() - 1;
  await produce('durable', 2000, ['-X', 'acks=all']);
  assert.equal(await broker.stop('SIGTERM'), 0, 'clean shutdown exits 0');
  await broker.restart();
  checkExactly(await consumeAll('durable'), 2000, start);
  await produce('durable-kill', 2000, ['-X', 'acks=all']);
  await broker.stop('SIGKILL');
  await broker.restart();
  checkExactly(await consumeAll('durable-kill'), 2000, start);
});
