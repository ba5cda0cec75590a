// Idempotent producers with real clients: librdkafka (enable.idempotence=true) writes 100,000
// records through a proxy that keeps cutting its connections mid-request; each partition must then
// hold every record exactly once, in order: no duplicate from a retry, no gap.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { join } from 'node:path';
import { freePort, startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { startChaosProxy, type ChaosProxy } from '../harness/chaos-proxy.ts';
import { consumeAllWithKcat } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';
import kafkajs from 'kafkajs';

const RECORDS = 100_000;
const PARTITIONS = 3;
/** About 12 s of producing: time for dozens of cuts. */
const RATE = 8_000;
let broker: RunningBroker | undefined;
let proxy: ChaosProxy | undefined;

after(async () => {
  await proxy?.close();
  await broker?.dispose();
});

test('an idempotent librdkafka producer whose connections keep being cut writes every record exactly once', { timeout: 300_000 }, async () => {
  const proxyPort = await freePort();
  // Clients are told to connect to the proxy, so every connection, bootstrap or not, goes through it.
  broker = await startBroker({ args: ['--set', `advertised.listeners=PLAINTEXT://127.0.0.1:${proxyPort}`, '--set', `num.partitions=${PARTITIONS}`] });
  proxy = await startChaosProxy(proxyPort, { host: broker.host, port: broker.port });
  const bootstrap = `127.0.0.1:${proxyPort}`;

  let cutting = true;
  const chaos = (async () => {
    while (cutting) {
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 250));
      if (cutting) proxy!.cutAll();
    }
  })();
  let run;
  try {
    // IDEMPOTENCE_CONTROL=1 runs the same with idempotence off, to see the duplicates this test exists to catch.
    run = await runTool('/usr/bin/python3', [join(import.meta.dirname, 'idempotent_producer.py'), bootstrap, 'events', String(PARTITIONS), String(RECORDS), String(RATE), ...(process.env.IDEMPOTENCE_CONTROL ? ['off'] : [])], { timeoutMs: 280_000, allowFailure: true });
  } finally {
    cutting = false;
    await chaos;
  }
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as { acked: number; unflushed: number; errors: string[] };
  assert.deepEqual(result.errors, [], run.stderr.slice(-2000));
  assert.equal(result.acked, RECORDS);
  assert.ok(proxy.cuts >= 20, `the proxy cut ${proxy.cuts} connections`);

  const records = await consumeAllWithKcat(broker.bootstrap, 'events');
  let duplicates = 0;
  let gaps = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    const values = records.filter((r) => r.partition === p).map((r) => Number(r.payload));
    let expected = p;
    for (const v of values) {
      if (v < expected) duplicates++;
      else {
        if (v > expected) gaps++;
        expected = v + PARTITIONS;
      }
    }
    if (expected < RECORDS) gaps++;
  }
  console.log(`idempotence: ${records.length} records read, ${proxy.cuts} connections cut, ${duplicates} duplicates, ${gaps} gaps`);
  assert.equal(duplicates, 0);
  assert.equal(gaps, 0);
  assert.equal(records.length, RECORDS);
});

test('a KafkaJS idempotent producer (idempotent: true) gets its producer id and writes each record once', { timeout: 60_000 }, async () => {
  const kafka = new kafkajs.Kafka({ clientId: 'millrace-idempotent', brokers: [broker!.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let batch = 0; batch < 20; batch++) {
      await producer.send({ topic: 'kafkajs-idempotent', messages: Array.from({ length: 100 }, (_, i) => ({ key: String(i % 7), value: String(batch * 100 + i) })) });
    }
  } finally {
    await producer.disconnect();
  }
  const values = (await consumeAllWithKcat(broker!.bootstrap, 'kafkajs-idempotent')).map((r) => Number(r.payload)).sort((a, b) => a - b);
  assert.deepEqual(values, Array.from({ length: 2000 }, (_, i) => i));
});
