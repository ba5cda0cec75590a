// Transactions with real clients. librdkafka (confluent-kafka) commits and aborts, and runs an
// exactly-once consume-transform-produce loop with send_offsets_to_transaction; KafkaJS commits and
// aborts; a zombie producer is fenced; a transaction left open is aborted at its timeout, also
// across a SIGKILL of the broker. READ_COMMITTED readers (kcat, KafkaJS) see committed records
// exactly once and aborted ones never; READ_UNCOMMITTED readers see both.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { readValuesWithKcat } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';
import { waitFor } from '../../packages/broker/src/test-support/wait-for.ts';

const here = import.meta.dirname;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ args: ['--set', 'num.partitions=3', '--set', 'transaction.abort.timed.out.transaction.cleanup.interval.ms=500'] });
});

after(async () => {
  await broker?.dispose();
});

function readValues(topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  return readValuesWithKcat(broker.bootstrap, topic, isolation);
}

function python(script: string, args: string[]) {
  return runTool('/usr/bin/python3', [join(here, script), broker.bootstrap, ...args], { timeoutMs: 120_000 });
}

test('librdkafka: committed transactions are read once by READ_COMMITTED, aborted ones only by READ_UNCOMMITTED', { timeout: 120_000 }, async () => {
  const run = await python('txn_producer.py', ['txn-plain', 'tx-plain', 'commit:50', 'abort:30', 'commit:20']);
  assert.match(run.stdout, /"done": true/);
  const committed = await readValues('txn-plain', 'read_committed');
  const uncommitted = await readValues('txn-plain', 'read_uncommitted');
  const expected = (txn: number, n: number) => Array.from({ length: n }, (_, i) => `${txn}-${i}`);
  assert.deepEqual(committed, [...expected(0, 50), ...expected(2, 20)].sort());
  assert.deepEqual(uncommitted, [...expected(0, 50), ...expected(1, 30), ...expected(2, 20)].sort());
});

test('librdkafka consume-transform-produce with send_offsets_to_transaction processes every input exactly once', { timeout: 180_000 }, async () => {
  const input = Array.from({ length: 2000 }, (_, i) => `record-${i}`);
  // Keyed, so that every partition has input and so a committed offset to check: keyless records
  // from librdkafka's sticky batching may leave a partition empty.
  const lines = input.map((value, i) => `${i}:${value}`).join('\n') + '\n';
  await runTool('kcat', ['-b', broker.bootstrap, '-P', '-t', 'eos-in', '-K', ':'], { input: lines, timeoutMs: 60_000 });
  const run = await python('eos_processor.py', ['eos-in', 'eos-out', 'eos-group', String(input.length), '4']);
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as { committed: number; aborted: number; transactions: number };
  assert.equal(result.committed, input.length);
  assert.ok(result.aborted > 0, 'some transactions were aborted on purpose');
  assert.deepEqual(await readValues('eos-out', 'read_committed'), input.map((v) => v.toUpperCase()).sort(), 'each input exactly once');
  const uncommitted = await readValues('eos-out', 'read_uncommitted');
  assert.equal(uncommitted.length, input.length + result.aborted, 'READ_UNCOMMITTED also sees the aborted attempts');
  // The offsets committed by the transactions are the end of the input: a restarted processor has nothing left to do.
  const admin = new kafkajs.Kafka({ clientId: 'millrace-eos-check', brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets('eos-in');
    const [group] = await admin.fetchOffsets({ groupId: 'eos-group', topics: ['eos-in'] });
    const committedAt = new Map(group.partitions.map((p) => [p.partition, p.offset]));
    assert.equal(ends.length, 3);
    for (const end of ends) {
      assert.ok(Number(end.high) > 0, `partition ${end.partition} has input`);
      assert.equal(committedAt.get(end.partition), end.high, `partition ${end.partition}`);
    }
  } finally {
    await admin.disconnect();
  }
});

test('KafkaJS transactional producer: commit and abort, read by a READ_COMMITTED KafkaJS consumer', { timeout: 120_000 }, async () => {
  const kafka = new kafkajs.Kafka({ clientId: 'millrace-txn', brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({ transactionalId: 'kafkajs-tx', maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  try {
    const committed = await producer.transaction();
    await committed.send({ topic: 'kafkajs-txn', messages: Array.from({ length: 40 }, (_, i) => ({ key: String(i), value: `kept-${i}` })) });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'kafkajs-txn', messages: Array.from({ length: 25 }, (_, i) => ({ key: String(i), value: `dropped-${i}` })) });
    await aborted.abort();
  } finally {
    await producer.disconnect();
  }
  const consumer = kafka.consumer({ groupId: 'kafkajs-txn-reader' });
  const seen: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: 'kafkajs-txn', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor('the KafkaJS consumer to read the committed records', () => seen.length >= 40, 60_000, 100);
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(seen.sort(), Array.from({ length: 40 }, (_, i) => `kept-${i}`).sort());
  assert.deepEqual((await readValues('kafkajs-txn', 'read_uncommitted')).filter((v) => v.startsWith('dropped-')).length, 25);
});

test('a zombie producer is fenced by a new producer with the same transactional id', { timeout: 60_000 }, async () => {
  const kafka = new kafkajs.Kafka({ clientId: 'millrace-zombie', brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const zombie = kafka.producer({ transactionalId: 'fenced-tx', maxInFlightRequests: 1, idempotent: true });
  const successor = kafka.producer({ transactionalId: 'fenced-tx', maxInFlightRequests: 1, idempotent: true });
  await zombie.connect();
  try {
    const old = await zombie.transaction();
    await old.send({ topic: 'zombie-txn', messages: [{ key: 'k', value: 'from-the-zombie' }] });
    await successor.connect();
    const fresh = await successor.transaction();
    await fresh.send({ topic: 'zombie-txn', messages: [{ key: 'k', value: 'from-the-successor' }] });
    await fresh.commit();
    await assert.rejects(old.commit(), (err: { type?: string; name?: string }) => {
      assert.ok(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'].includes(err.type ?? ''), `${err.name}: ${err.type}`);
      return true;
    });
  } finally {
    await zombie.disconnect().catch(() => undefined);
    await successor.disconnect();
  }
  assert.deepEqual(await readValues('zombie-txn', 'read_committed'), ['from-the-successor']);
});

test('a transaction left open is aborted at its timeout, also when the broker was SIGKILLed meanwhile', { timeout: 120_000 }, async () => {
  // The producer writes 10 records in a transaction (timeout 10 s) and exits without ending it.
  const run = await python('txn_producer.py', ['txn-hang', 'tx-hang', 'hang:10']);
  assert.match(run.stdout, /left open/);
  await python('txn_producer.py', ['txn-hang', 'tx-after', 'commit:5']);
  assert.deepEqual(await readValues('txn-hang', 'read_committed'), [], 'the open transaction holds back the last stable offset');
  await broker.stop('SIGKILL');
  await broker.restart();
  await waitFor('the open transaction to be aborted at its timeout', async () => (await readValues('txn-hang', 'read_committed')).length === 5, 60_000, 500);
  assert.deepEqual(await readValues('txn-hang', 'read_committed'), ['0-0', '0-1', '0-2', '0-3', '0-4']);
  assert.equal((await readValues('txn-hang', 'read_uncommitted')).length, 15);
});
