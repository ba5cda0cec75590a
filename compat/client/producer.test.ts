// The Millrace TypeScript producer against a real broker process, read back by other clients:
// kcat and KafkaJS see exactly the records (keys, values, headers) at the offsets `send` returned,
// in every codec, headers given as a list with repeated keys and null values too; keyed records land where librdkafka's murmur2 partitioner puts them; through a
// proxy that keeps cutting connections, idempotence leaves no duplicate and no gap.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import { Producer, type CompressionName } from '../../packages/client/src/index.ts';
import { freePort, startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { startChaosProxy } from '../harness/chaos-proxy.ts';
import { consumeAllWithKcat } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';

const PARTITIONS = 3;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ args: ['--set', `num.partitions=${PARTITIONS}`] });
});

after(async () => {
  await broker?.dispose();
});

for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as CompressionName[]) {
  test(`producer (${compression}): kcat reads every record, with its key and headers, at the offset send returned`, { timeout: 60_000 }, async () => {
    const topic = `client-${compression}`;
    const producer = new Producer({ brokers: [broker.bootstrap], compression });
    let metadata;
    try {
      metadata = await producer.send(topic, Array.from({ length: 2000 }, (_, i) => ({ key: `key-${i % 50}`, value: `value-${i}`, headers: { n: String(i), kind: 'test' } })));
    } finally {
      await producer.close();
    }
    const records = await consumeAllWithKcat(broker.bootstrap, topic);
    assert.equal(records.length, 2000);
    const at = new Map(records.map((r) => [`${r.partition}/${r.offset}`, r]));
    metadata.forEach((m, i) => {
      const r = at.get(`${m.partition}/${m.offset}`);
      assert.ok(r, `record ${i} at ${m.partition}/${m.offset}`);
      assert.equal(r.key, `key-${i % 50}`);
      assert.equal(r.payload, `value-${i}`);
      assert.deepEqual(r.headers, ['n', String(i), 'kind', 'test']);
    });
  });
}

test('headers given as a list keep their order, a repeated key and a null value, as kcat reads them', { timeout: 60_000 }, async () => {
  const producer = new Producer({ brokers: [broker.bootstrap] });
  try {
    await producer.send('client-header-list', [{ value: 'v', partition: 0, headers: [{ key: 'hop', value: 'a' }, { key: 'hop', value: 'b' }, { key: 'none', value: null }] }]);
  } finally {
    await producer.close();
  }
  const [record] = await consumeAllWithKcat(broker.bootstrap, 'client-header-list');
  assert.deepEqual(record.headers, ['hop', 'a', 'hop', 'b', 'none', null]);
});

test('batches encoded into buffers used again after each acknowledgement arrive intact', { timeout: 60_000 }, async () => {
  // One partition and one send at a time: every batch after the first reuses the buffer of an
  // acknowledged one, with values of changing lengths, so stale bytes would show.
  const topic = 'reused-buffers';
  const producer = new Producer({ brokers: [broker.bootstrap] });
  const values = Array.from({ length: 300 }, (_, i) => `${i}:${'v'.repeat((i * 37) % 500)}`);
  try {
    for (let i = 0; i < values.length; i += 10) await producer.send(topic, values.slice(i, i + 10).map((value) => ({ value, partition: 0 })));
  } finally {
    await producer.close();
  }
  const records = await consumeAllWithKcat(broker.bootstrap, topic);
  assert.deepEqual(records.sort((a, b) => a.offset - b.offset).map((r) => r.payload), values);
});

test('keyed records land in the partition librdkafka\'s murmur2 partitioner chooses', { timeout: 60_000 }, async () => {
  const keys = Array.from({ length: 200 }, (_, i) => `customer-${i * 7919}`);
  const producer = new Producer({ brokers: [broker.bootstrap] });
  const ours = await producer.send('by-key-ours', keys.map((key) => ({ key, value: key })));
  await producer.close();
  await runTool('kcat', ['-b', broker.bootstrap, '-P', '-t', 'by-key-kcat', '-K', ':', '-X', 'partitioner=murmur2_random'], { input: keys.map((k) => `${k}:${k}`).join('\n') + '\n', timeoutMs: 30_000 });
  const theirs = new Map((await consumeAllWithKcat(broker.bootstrap, 'by-key-kcat')).map((r) => [r.key, r.partition]));
  ours.forEach((m, i) => assert.equal(m.partition, theirs.get(keys[i]), keys[i]));
  assert.ok(new Set(ours.map((m) => m.partition)).size === PARTITIONS, 'the keys spread over every partition');
});

// KafkaJS decompresses only gzip without plugins; the other codecs are read back by kcat above.
test('a KafkaJS consumer reads what our producer wrote, intact', { timeout: 60_000 }, async () => {
  const producer = new Producer({ brokers: [broker.bootstrap], compression: 'gzip' });
  await producer.send('client-to-kafkajs', Array.from({ length: 500 }, (_, i) => ({ key: `k${i}`, value: Buffer.from([i & 0xff, 0, 255, i >> 8]), headers: { i: String(i) } })));
  await producer.close();
  const kafka = new kafkajs.Kafka({ clientId: 'interop', brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'interop-reader' });
  const seen = new Map<string, { value: Buffer; header: string }>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: 'client-to-kafkajs', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.set(message.key!.toString(), { value: message.value!, header: message.headers!.i!.toString() }) });
    const deadline = Date.now() + 30_000;
    while (seen.size < 500 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await consumer.disconnect();
  }
  assert.equal(seen.size, 500);
  for (let i = 0; i < 500; i++) assert.deepEqual(seen.get(`k${i}`), { value: Buffer.from([i & 0xff, 0, 255, i >> 8]), header: String(i) });
});

test('acks=0 sends without answers; a small buffer makes send wait for room instead of failing', { timeout: 60_000 }, async () => {
  const fireAndForget = new Producer({ brokers: [broker.bootstrap], acks: 0 });
  const sent = await fireAndForget.send('no-acks', Array.from({ length: 100 }, (_, i) => ({ value: `v${i}` })));
  assert.ok(sent.every((m) => m.offset === -1));
  await fireAndForget.close();
  const small = new Producer({ brokers: [broker.bootstrap], bufferBytes: 20_000, batchBytes: 8_000 });
  const results = await Promise.all(Array.from({ length: 20 }, (_, b) => small.send('small-buffer', Array.from({ length: 50 }, (_, i) => ({ value: `${b}-${i}-${'x'.repeat(100)}` })))));
  await small.close();
  assert.equal(results.flat().length, 1000);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await consumeAllWithKcat(broker.bootstrap, 'small-buffer')).length, 1000);
  assert.equal((await consumeAllWithKcat(broker.bootstrap, 'no-acks')).length, 100);
});

test('through a proxy that keeps cutting connections, the idempotent producer writes each record once, in order', { timeout: 180_000 }, async () => {
  const proxyPort = await freePort();
  const chaosBroker = await startBroker({ args: ['--set', `advertised.listeners=PLAINTEXT://127.0.0.1:${proxyPort}`, '--set', `num.partitions=${PARTITIONS}`] });
  const proxy = await startChaosProxy(proxyPort, { host: chaosBroker.host, port: chaosBroker.port });
  let cutting = true;
  const chaos = (async () => {
    while (cutting) {
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 50));
      if (cutting) proxy.cutAll();
    }
  })();
  const RECORDS = 100_000;
  const producer = new Producer({ brokers: [`127.0.0.1:${proxyPort}`], lingerMs: 2, batchBytes: 16_384, retryBackoffMs: 20 });
  let records;
  try {
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < RECORDS; i += 100) {
      sends.push(producer.send('chaos', Array.from({ length: 100 }, (_, j) => ({ value: String(i + j), partition: (i + j) % PARTITIONS }))));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(sends);
    cutting = false;
    await chaos;
    await producer.close();
    records = await consumeAllWithKcat(chaosBroker.bootstrap, 'chaos');
  } finally {
    cutting = false;
    await proxy.close();
    await chaosBroker.dispose();
  }
  let duplicates = 0;
  let gaps = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    let expected = p;
    for (const v of records.filter((r) => r.partition === p).map((r) => Number(r.payload))) {
      if (v < expected) duplicates++;
      else {
        if (v > expected) gaps++;
        expected = v + PARTITIONS;
      }
    }
  }
  console.log(`client idempotence: ${records.length} records, ${proxy.cuts} connections cut, ${duplicates} duplicates, ${gaps} gaps`);
  assert.ok(proxy.cuts >= 10, `only ${proxy.cuts} cuts`);
  assert.equal(duplicates, 0);
  assert.equal(gaps, 0);
  assert.equal(records.length, RECORDS);
});
