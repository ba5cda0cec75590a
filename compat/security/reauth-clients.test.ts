// Re-authentication (KIP-368) with real clients: KafkaJS logs in again on its connections before
// their logins expire, and goes on; librdkafka 2.0 does not, so the broker closes each of its
// connections at the login's expiry, and it connects and logs in anew. Neither loses a record.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import { join } from 'node:path';
import { freePort, startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { runTool } from '../harness/run-tool.ts';

const { Kafka, logLevel } = kafkajs;
let broker: RunningBroker;

before(async () => {
  const port = await freePort();
  broker = await startBroker({
    listeners: `SASL_PLAINTEXT://127.0.0.1:${port}`,
    port,
    args: ['--set', 'connections.max.reauth.ms=1500', '--set', 'group.initial.rebalance.delay.ms=0', '--add-scram', 'SCRAM-SHA-256=[name=app,password=app-secret]'],
  });
});

after(async () => {
  await broker?.dispose();
});

test('a KafkaJS producer and consumer keep going for several login lifetimes, logging in again on their connections', { timeout: 120_000 }, async () => {
  const kafka = new Kafka({ clientId: 'reauth', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, sasl: { mechanism: 'scram-sha-256', username: 'app', password: 'app-secret' } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'reauth', numPartitions: 1 }] });
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: 'reauth-readers' });
  await consumer.connect();
  await consumer.subscribe({ topics: ['reauth'], fromBeginning: true });
  const seen: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
  const producer = kafka.producer();
  await producer.connect();
  const sent: string[] = [];
  const until = Date.now() + 6000;
  for (let i = 0; Date.now() < until; i++) {
    await producer.send({ topic: 'reauth', messages: [{ value: `m${i}` }] });
    sent.push(`m${i}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await producer.disconnect();
  const deadline = Date.now() + 30_000;
  while (seen.length < sent.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  await consumer.disconnect();
  assert.deepEqual(seen, sent);
  assert.doesNotMatch(broker.output(), /without a re-authentication/, 'KafkaJS renewed every login in time');
});

test('a librdkafka producer that does not log in again has its expired connections closed, reconnects, and every acknowledged record is there', { timeout: 120_000 }, async () => {
  const settings = { 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'SCRAM-SHA-256', 'sasl.username': 'app', 'sasl.password': 'app-secret' };
  const { stdout } = await runTool('/usr/bin/python3', [join(import.meta.dirname, 'quota_confluent.py'), 'produce', broker.bootstrap, 'reauth-librdkafka', 'reauth-producer', '6', '100'], {
    timeoutMs: 120_000, env: { ...process.env, CLIENT_SETTINGS: JSON.stringify(settings) },
  });
  const acknowledged = (JSON.parse(stdout.trim().split('\n').pop()!) as { bytes: number }).bytes / 100;
  assert.ok(acknowledged > 0);
  assert.match(broker.output(), /Produce after the login of app expired .* without a re-authentication|Metadata after the login of app expired .* without a re-authentication/, 'the broker closed expired connections');
  const kcat = ['-b', broker.bootstrap, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', 'sasl.username=app', '-X', 'sasl.password=app-secret'];
  // The log's end (kcat -Q, one quick request: reading every record back would outlast a login, and kcat -e gives up at a disconnect).
  const end = await runTool('kcat', [...kcat, '-Q', '-t', 'reauth-librdkafka:0:-1'], { timeoutMs: 60_000 });
  const offset = Number(/offset (\d+)/.exec(end.stdout)?.[1]);
  assert.ok(offset >= acknowledged, `the log ends at ${offset}, after the ${acknowledged} acknowledged records`);
});
