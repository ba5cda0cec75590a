// kafka-python 2.0.2 and confluent-kafka-python (librdkafka) produce to and consume from a real
// broker process with assigned partitions; each must get back exactly what it sent.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { runTool } from '../harness/run-tool.ts';

const PYTHON = '/usr/bin/python3';
const COUNT = 500;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ args: ['--set', 'num.partitions=3'] });
});

after(async () => {
  await broker?.dispose();
});

interface RoundTrip {
  produced: [number, number][];
  records: { partition: number; offset: number; key: string; value: string; headers: [string, string][]; timestamp: number }[];
}

async function roundTrip(script: string, topic: string): Promise<RoundTrip> {
  const { stdout } = await runTool(PYTHON, [join(import.meta.dirname, script), broker.bootstrap, topic, String(COUNT)], { timeoutMs: 120_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as RoundTrip;
}

function check(result: RoundTrip, started: number): void {
  assert.equal(result.produced.length, COUNT, 'every record acknowledged');
  assert.equal(result.records.length, COUNT, 'every record consumed');
  const acked = new Set(result.produced.map(([p, o]) => `${p}/${o}`));
  assert.equal(acked.size, COUNT, 'no two records acknowledged at the same offset');
  for (const r of result.records) {
    const i = Number(r.value.slice(1));
    assert.ok(acked.has(`${r.partition}/${r.offset}`), `record ${r.value} at an offset that was acknowledged`);
    assert.equal(r.key, `k${i % 7}`);
    assert.deepEqual(r.headers, [['n', String(i)]]);
    assert.ok(r.timestamp >= started && r.timestamp <= Date.now());
  }
  const values = new Set(result.records.map((r) => r.value));
  assert.equal(values.size, COUNT);
}

test('kafka-python 2.0.2 produces and consumes with assigned partitions', { timeout: 150_000 }, async () => {
  const started = Date.now() - 1;
  check(await roundTrip('kafka_python_roundtrip.py', 'kafka-python'), started);
});

test('confluent-kafka (librdkafka) produces and consumes with assigned partitions', { timeout: 150_000 }, async () => {
  const started = Date.now() - 1;
  check(await roundTrip('confluent_kafka_roundtrip.py', 'confluent'), started);
});
