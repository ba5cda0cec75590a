// Single message transforms and error handling on a standalone worker, configured through the REST
// API as Kafka Connect's docs show: a sink reading JSON that kcat produced drops and adds fields,
// sends the record that is not JSON to a dead letter queue with its original bytes and the
// __connect.errors.* headers (errors.tolerance=all), or fails with the cause in its trace
// (errors.tolerance=none); a source routes its lines to a renamed topic.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';
import { until } from '../streams/run-workload.ts';
import { curl, type RestWorker, startStandaloneWorker, states } from './connect-worker.ts';

const dir = mkdtempSync(join(tmpdir(), 'connect-transforms-'));
let broker: RunningBroker;
let worker: RestWorker;

before(async () => {
  broker = await startBroker({ args: ['--set', 'group.initial.rebalance.delay.ms=0'] });
  worker = await startStandaloneWorker(dir, broker.bootstrap);
  const records = ['{"id":1,"msg":"first","card":"4111-1111"}', 'not json at all', '{"id":2,"msg":"second","card":"5500-0000"}'];
  await runTool('kcat', ['-b', broker.bootstrap, '-P', '-t', 'payments', '-H', 'origin=kcat'], { input: `${records.join('\n')}\n`, timeoutMs: 30_000 });
});

after(async () => {
  if (worker) assert.equal(await worker.process.stop('SIGTERM'), 0, worker.process.output());
  await broker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const linesOf = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(0, -1) : []);

test('a sink transforms each record, and with errors.tolerance=all sends the one it cannot read to the dead letter queue as it was', { timeout: 60_000 }, async () => {
  const output = join(dir, 'payments.out');
  const created = await curl(worker, 'POST', '/connectors', {
    name: 'payments-sink',
    config: {
      'connector.class': 'FileStreamSink', file: output, topics: 'payments',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'false',
      transforms: 'dropCard,addOffset',
      'transforms.dropCard.type': 'org.apache.kafka.connect.transforms.ReplaceField$Value', 'transforms.dropCard.exclude': 'card',
      'transforms.addOffset.type': 'org.apache.kafka.connect.transforms.InsertField$Value', 'transforms.addOffset.offset.field': 'kafka_offset',
      'errors.tolerance': 'all', 'errors.log.enable': 'true', 'errors.log.include.messages': 'true',
      'errors.deadletterqueue.topic.name': 'payments-dlq', 'errors.deadletterqueue.context.headers.enable': 'true',
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await until('both good records written', () => linesOf(output).length >= 2, 30_000);
  assert.deepEqual(linesOf(output).map((l) => JSON.parse(l)), [{ id: 1, msg: 'first', kafka_offset: 0 }, { id: 2, msg: 'second', kafka_offset: 2 }]);
  assert.deepEqual(await states(worker, 'payments-sink'), { connector: 'RUNNING', tasks: ['RUNNING'] });

  let dead: Awaited<ReturnType<typeof consumeAllWithKcat>> = [];
  await until('the bad record in the dead letter queue', async () => (dead = await consumeAllWithKcat(broker.bootstrap, 'payments-dlq').catch(() => [])).length >= 1, 30_000);
  assert.equal(dead.length, 1);
  assert.equal(dead[0].payload, 'not json at all');
  const headers = new Map<string, string | null>();
  for (let i = 0; i < dead[0].headers!.length; i += 2) headers.set(dead[0].headers![i]!, dead[0].headers![i + 1]);
  assert.equal(headers.get('origin'), 'kcat', 'the record keeps its own headers');
  assert.equal(headers.get('__connect.errors.topic'), 'payments');
  assert.equal(headers.get('__connect.errors.partition'), '0');
  assert.equal(headers.get('__connect.errors.offset'), '1');
  assert.equal(headers.get('__connect.errors.connector.name'), 'payments-sink');
  assert.equal(headers.get('__connect.errors.task.id'), '0');
  assert.equal(headers.get('__connect.errors.stage'), 'VALUE_CONVERTER');
  assert.match(headers.get('__connect.errors.exception.message')!, /not JSON/);
  assert.match(worker.process.output(), /skipped a record at VALUE_CONVERTER \(payments-0 at offset 1\)/);
});

test('with errors.tolerance=none the same record fails the task, its trace naming the cause', { timeout: 60_000 }, async () => {
  await curl(worker, 'POST', '/connectors', {
    name: 'strict-sink',
    config: { 'connector.class': 'FileStreamSink', file: join(dir, 'strict.out'), topics: 'payments', 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'false' },
  });
  await until('the task failed', async () => (await states(worker, 'strict-sink')).tasks[0] === 'FAILED', 30_000);
  const task = (await curl(worker, 'GET', '/connectors/strict-sink/tasks/0/status')).body;
  assert.match(task.trace, /a record of payments is not JSON/);
  assert.deepEqual(linesOf(join(dir, 'strict.out')), [], 'nothing after the last commit is written: the task failed on the batch');
});

test('a source routes its records to a renamed topic; bad transform settings are refused naming the setting', { timeout: 60_000 }, async () => {
  const input = join(dir, 'app.log');
  writeFileSync(input, 'GET /\nPOST /login\n');
  const created = await curl(worker, 'POST', '/connectors', {
    name: 'logs-source',
    config: {
      'connector.class': 'FileStreamSource', file: input, topic: 'app.raw',
      transforms: 'route', 'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter',
      'transforms.route.regex': '(.*)\\.raw', 'transforms.route.replacement': '$1-logs',
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  let records: Awaited<ReturnType<typeof consumeAllWithKcat>> = [];
  await until('the lines in the renamed topic', async () => (records = await consumeAllWithKcat(broker.bootstrap, 'app-logs').catch(() => [])).length >= 2, 30_000);
  assert.deepEqual(records.map((r) => r.payload), ['GET /', 'POST /login']);

  const bad = await curl(worker, 'POST', '/connectors', {
    name: 'bad-transforms',
    config: { 'connector.class': 'FileStreamSource', file: input, topic: 't', transforms: 'mask', 'transforms.mask.type': 'MaskField$Value', 'errors.tolerance': 'some' },
  });
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /Missing required configuration "transforms.mask.fields"/);
  assert.match(bad.body.message, /Invalid value some for configuration errors.tolerance/);
});
