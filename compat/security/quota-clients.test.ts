// Client quotas with real clients: set with `millrace quota` and with @platformatic/kafka's admin
// (DescribeClientQuotas / AlterClientQuotas); a librdkafka producer and consumer running flat out
// are held to their byte rate within 10% over the run; a throttled KafkaJS producer loses nothing.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { Admin } from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { runTool } from '../harness/run-tool.ts';

const { Kafka, logLevel } = kafkajs;
const PYTHON = '/usr/bin/python3';
const main = join(resolve(import.meta.dirname, '../..'), 'packages/millrace/src/main.ts');
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ args: ['--set', 'group.initial.rebalance.delay.ms=0'] });
});

after(async () => {
  await broker?.dispose();
});

function millrace(args: string[]) {
  return runTool(process.execPath, ['--conditions=development', main, ...args, '--brokers', broker.bootstrap], { timeoutMs: 60_000, allowFailure: true });
}

async function quotaRun(args: string[], seconds: number): Promise<{ bytes: number; seconds: number; throttles: number }> {
  const { stdout, stderr } = await runTool(PYTHON, [join(import.meta.dirname, 'quota_confluent.py'), args[0], broker.bootstrap, ...args.slice(1, 3), String(seconds), ...args.slice(3)], { timeoutMs: (seconds + 120) * 1000, allowFailure: true });
  const last = stdout.trim().split('\n').pop() ?? '';
  assert.ok(last.startsWith('{'), `no result: ${stdout} ${stderr}`);
  return JSON.parse(last) as { bytes: number; seconds: number; throttles: number };
}

test('millrace quota sets, lists and removes; @platformatic/kafka\'s admin reads and writes the same quotas', async () => {
  const set = await millrace(['quota', 'set', '--user', 'alice', '--client-default', 'producer_byte_rate=1048576,request_percentage=25']);
  assert.equal(set.code, 0, set.stderr);
  const refused = await millrace(['quota', 'set', '--ip', '10.0.0.1', 'producer_byte_rate=5']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Invalid configuration key producer_byte_rate/);

  const admin = new Admin({ clientId: 'millrace-quota-admin', bootstrapBrokers: [broker.bootstrap] });
  try {
    const described = await admin.describeClientQuotas({ components: [{ entityType: 'user', matchType: 0, match: 'alice' }] });
    assert.deepEqual(described.map((e) => [e.entity, [...e.values].sort((a, b) => a.key.localeCompare(b.key))]), [[
      [{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: null }],
      [{ key: 'producer_byte_rate', value: 1048576 }, { key: 'request_percentage', value: 25 }],
    ]]);
    const altered = await admin.alterClientQuotas({ entries: [{ entities: [{ entityType: 'ip', entityName: null }], ops: [{ key: 'connection_creation_rate', value: 100, remove: false }] }] });
    assert.deepEqual(altered.map((e) => e.errorCode), [0]);
  } finally {
    await admin.close();
  }
  const listed = await millrace(['quota', 'list', '--output', 'json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout), [
    { entity: { user: 'alice', 'client-id': null }, values: { producer_byte_rate: 1048576, request_percentage: 25 } },
    { entity: { ip: null }, values: { connection_creation_rate: 100 } },
  ]);
  assert.equal((await millrace(['quota', 'remove', '--user', 'alice', '--client-default', 'producer_byte_rate,request_percentage'])).code, 0);
  assert.equal((await millrace(['quota', 'remove', '--ip-default', 'connection_creation_rate'])).code, 0);
  const table = await millrace(['quota', 'list']);
  assert.doesNotMatch(table.stdout, /alice|connection_creation_rate/);
});

test('a librdkafka producer running flat out is held to its producer_byte_rate within 10% over 30 s, told so by throttle_time_ms', async (t) => {
  const quota = 500_000;
  assert.equal((await millrace(['quota', 'set', '--client-id', 'quota-producer', `producer_byte_rate=${quota}`])).code, 0);
  assert.equal((await millrace(['topic', 'create', 'quota-produce'])).code, 0);
  const run = await quotaRun(['produce', 'quota-produce', 'quota-producer', '1024'], 30);
  const rate = run.bytes / run.seconds;
  t.diagnostic(`producer: ${Math.round(rate)} bytes/s of values against ${quota} (${(rate / quota).toFixed(3)}), ${run.throttles} throttle events`);
  assert.ok(Math.abs(rate - quota) <= quota * 0.1, `${Math.round(rate)} bytes/s against a quota of ${quota}`);
  assert.ok(run.throttles > 0, 'librdkafka saw throttle_time_ms');
});

test('a librdkafka consumer reading a full topic is held to its consumer_byte_rate within 10% over 30 s', async (t) => {
  assert.equal((await millrace(['topic', 'create', 'quota-consume'])).code, 0);
  // More than the consumer may read in the run, so it never runs dry; in batches of 64 KiB, since a
  // fetch always carries its first batch whole, and a 1 MB batch would be 3 seconds of this quota.
  const quota = 300_000;
  const fill = await quotaRun(['produce', 'quota-consume', 'quota-filler', '1024', '65536'], 8);
  assert.ok(fill.bytes > quota * 40, `only ${fill.bytes} bytes written`);
  assert.equal((await millrace(['quota', 'set', '--client-id', 'quota-consumer', `consumer_byte_rate=${quota}`])).code, 0);
  const run = await quotaRun(['consume', 'quota-consume', 'quota-consumer'], 30);
  const rate = run.bytes / run.seconds;
  t.diagnostic(`consumer: ${Math.round(rate)} bytes/s of values against ${quota} (${(rate / quota).toFixed(3)})`);
  assert.ok(Math.abs(rate - quota) <= quota * 0.1, `${Math.round(rate)} bytes/s against a quota of ${quota}`);
});

test('a KafkaJS producer over its quota is slowed, and every record it sends is acknowledged', async () => {
  const quota = 100_000;
  assert.equal((await millrace(['quota', 'set', '--client-id', 'quota-kafkajs', `producer_byte_rate=${quota}`])).code, 0);
  const kafka = new Kafka({ clientId: 'quota-kafkajs', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const value = 'k'.repeat(10_000);
  const start = Date.now();
  try {
    for (let i = 0; i < 40; i++) {
      const [result] = await producer.send({ topic: 'quota-kafkajs', messages: [{ value }] });
      assert.equal(result.errorCode, 0);
    }
  } finally {
    await producer.disconnect();
  }
  const seconds = (Date.now() - start) / 1000;
  // 400 KB at 100 KB/s with one second of burst: at least 3 s.
  assert.ok(seconds >= 2.5, `took ${seconds} s`);
  const { stdout } = await runTool('kcat', ['-C', '-b', broker.bootstrap, '-t', 'quota-kafkajs', '-e', '-f', '%S\\n'], { timeoutMs: 60_000 });
  assert.equal(stdout.trim().split('\n').length, 40);
});
