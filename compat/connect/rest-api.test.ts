// Kafka Connect's REST API on a `millrace connect standalone` worker, driven with curl as Kafka
// Connect's documentation drives it: connectors are created, inspected, paused, resumed, restarted,
// stopped and deleted; a bad configuration is refused naming the setting; a task that fails shows
// FAILED with its trace and runs again once restarted.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { until } from '../streams/run-workload.ts';
import { curl as curlTo, type Reply, type RestWorker, startStandaloneWorker, states } from './connect-worker.ts';

const dir = mkdtempSync(join(tmpdir(), 'connect-rest-'));
let broker: RunningBroker;
let worker: RestWorker;

before(async () => {
  broker = await startBroker({ args: ['--set', 'group.initial.rebalance.delay.ms=0'] });
  worker = await startStandaloneWorker(dir, broker.bootstrap);
});

after(async () => {
  if (worker) assert.equal(await worker.process.stop('SIGTERM'), 0, worker.process.output());
  await broker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface ConfigValueInfo {
  definition: { name: string; type: string; required: boolean; importance: string };
  value: { name: string; errors: string[] };
}

const curl = (method: string, path: string, body?: unknown): Promise<Reply> => curlTo(worker, method, path, body);

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(0, -1) : []);

async function linesCopied(file: string, count: number, what: string): Promise<void> {
  await until(what, () => lines(file).length >= count, 30_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${lines(file).length} lines\n${worker.process.output()}`);
  });
}

const status = (name: string) => states(worker, name);

test('the root and health endpoints describe the worker and its Kafka cluster', async () => {
  const root = await curl('GET', '/');
  assert.equal(root.status, 200);
  assert.match(root.body.kafka_cluster_id, /^\S{22}$/);
  assert.equal(typeof root.body.version, 'string');
  assert.deepEqual((await curl('GET', '/health')).body.status, 'healthy');
  assert.deepEqual(await curl('GET', '/connectors'), { status: 200, body: [] });
  const plugins = await curl('GET', '/connector-plugins');
  assert.deepEqual(plugins.body.map((p: { class: string; type: string }) => `${p.type} ${p.class}`).sort(), [
    'sink io.millrace.connect.http.HttpSinkConnector',
    'sink io.millrace.connect.postgres.PostgresSinkConnector',
    'sink org.apache.kafka.connect.file.FileStreamSinkConnector',
    'source io.debezium.connector.postgresql.PostgresConnector',
    'source io.millrace.connect.http.HttpSourceConnector',
    'source org.apache.kafka.connect.file.FileStreamSourceConnector',
  ]);
  const all = (await curl('GET', '/connector-plugins?connectorsOnly=false')).body as { class: string; type: string }[];
  assert.deepEqual([...new Set(all.map((p) => p.type))].sort(), ['converter', 'predicate', 'sink', 'source', 'transformation']);
  assert.ok(all.some((p) => p.class === 'org.apache.kafka.connect.transforms.InsertField$Value'));
  assert.deepEqual((await curl('GET', '/connector-plugins/FileStreamSource/config')).body.map((k: { name: string }) => k.name), ['file', 'topic', 'batch.size']);
  assert.deepEqual(await curl('GET', '/nothing-here'), { status: 404, body: { error_code: 404, message: 'HTTP 404 Not Found' } });
});

test('create, inspect, pause, resume, restart, stop and delete connectors; lines flow only while they run', { timeout: 120_000 }, async () => {
  const input = join(dir, 'flow.in');
  const output = join(dir, 'flow.out');
  writeFileSync(input, 'a\nb\nc\n');
  const created = await curl('POST', '/connectors', { name: 'flow-source', config: { 'connector.class': 'FileStreamSource', 'tasks.max': '1', file: input, topic: 'flow' } });
  assert.equal(created.status, 201);
  assert.deepEqual(created.body, {
    name: 'flow-source',
    config: { 'connector.class': 'FileStreamSource', 'tasks.max': '1', file: input, topic: 'flow', name: 'flow-source' },
    tasks: [{ connector: 'flow-source', task: 0 }],
    type: 'source',
  });
  // PUT on a new name creates it (201); on an existing one replaces its settings (200).
  const sinkConfig = { 'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector', file: output, topics: 'flow' };
  assert.equal((await curl('PUT', '/connectors/flow-sink/config', sinkConfig)).status, 201);
  await linesCopied(output, 3, 'the first lines copied');
  assert.equal((await curl('PUT', '/connectors/flow-sink/config', { ...sinkConfig, 'tasks.max': 1 })).status, 200);
  assert.deepEqual((await curl('GET', '/connectors/flow-sink/config')).body, { ...sinkConfig, 'tasks.max': '1', name: 'flow-sink' });
  assert.deepEqual((await curl('GET', '/connectors')).body, ['flow-sink', 'flow-source']);
  const expanded = (await curl('GET', '/connectors?expand=status&expand=info')).body;
  assert.equal(expanded['flow-source'].info.type, 'source');
  assert.equal(expanded['flow-sink'].status.tasks[0].state, 'RUNNING');
  assert.match(expanded['flow-sink'].status.tasks[0].worker_id, /^127\.0\.0\.1:\d+$/);
  assert.deepEqual((await curl('GET', '/connectors/flow-source/tasks')).body, [{ id: { connector: 'flow-source', task: 0 }, config: created.body.config }]);
  assert.equal((await curl('POST', '/connectors', { name: 'flow-source', config: created.body.config })).status, 409);

  // Paused: nothing new is read until it resumes.
  assert.equal((await curl('PUT', '/connectors/flow-source/pause')).status, 202);
  assert.deepEqual(await status('flow-source'), { connector: 'PAUSED', tasks: ['PAUSED'] });
  appendFileSync(input, 'd\ne\n');
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(lines(output).length, 3, 'a paused source reads nothing');
  assert.equal((await curl('PUT', '/connectors/flow-source/resume')).status, 202);
  await linesCopied(output, 5, 'the lines appended while paused copied after resume');
  assert.deepEqual(await status('flow-source'), { connector: 'RUNNING', tasks: ['RUNNING'] });

  const restart = await curl('POST', '/connectors/flow-source/restart?includeTasks=true&onlyFailed=false');
  assert.equal(restart.status, 202);
  assert.deepEqual(restart.body.tasks.map((t: { state: string }) => t.state), ['RESTARTING']);
  assert.equal((await curl('POST', '/connectors/flow-source/restart')).status, 204);
  assert.equal((await curl('POST', '/connectors/flow-source/tasks/0/restart')).status, 204);
  await until('running again', async () => (await status('flow-source')).tasks[0] === 'RUNNING', 10_000);
  appendFileSync(input, 'f\n');
  await linesCopied(output, 6, 'lines copied after restarts');
  // Restarts go on from the stored offsets: no line twice.
  assert.deepEqual(lines(output), ['a', 'b', 'c', 'd', 'e', 'f']);

  // Stopped: the connector and its tasks are shut down and its task settings dropped, not its own.
  assert.equal((await curl('PUT', '/connectors/flow-source/stop')).status, 204);
  assert.deepEqual(await status('flow-source'), { connector: 'STOPPED', tasks: [] });
  assert.deepEqual((await curl('GET', '/connectors/flow-source')).body.tasks, []);
  assert.equal((await curl('PUT', '/connectors/flow-source/resume')).status, 202);
  assert.deepEqual(await status('flow-source'), { connector: 'RUNNING', tasks: ['RUNNING'] });

  for (const name of ['flow-source', 'flow-sink']) assert.equal((await curl('DELETE', `/connectors/${name}`)).status, 204);
  assert.deepEqual(await curl('GET', '/connectors/flow-source'), { status: 404, body: { error_code: 404, message: 'Connector flow-source not found' } });
  assert.deepEqual((await curl('GET', '/connectors')).body, []);
});

test('a bad configuration is refused with the setting named, and validate lists every error', async () => {
  const missing = await curl('POST', '/connectors', { name: 'bad', config: { 'connector.class': 'FileStreamSink', file: join(dir, 'x') } });
  assert.equal(missing.status, 400);
  assert.equal(missing.body.error_code, 400);
  assert.match(missing.body.message, /contains the following 1 error\(s\):\nMust configure one of topics or topics.regex/);
  const unknown = await curl('POST', '/connectors', { name: 'bad', config: { 'connector.class': 'com.example.NoSuchConnector' } });
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.message, /no connector plugin "com\.example\.NoSuchConnector"/);
  assert.equal((await curl('PUT', '/connectors/one/config', { name: 'two', 'connector.class': 'FileStreamSource' })).status, 400);
  assert.equal((await curl('POST', '/connectors', '{"name": "broken"')).status, 400);
  assert.equal((await curl('POST', '/connectors', { name: 'bad', config: { 'tasks.max': ['1'] } })).status, 400);
  assert.deepEqual((await curl('GET', '/connectors')).body, [], 'nothing refused was created');

  const validated = await curl('PUT', '/connector-plugins/FileStreamSourceConnector/config/validate', { name: 'v', 'tasks.max': 'many', topic: 't' });
  assert.equal(validated.status, 200);
  assert.equal(validated.body.name, 'org.apache.kafka.connect.file.FileStreamSourceConnector');
  assert.equal(validated.body.error_count, 2);
  const configs = validated.body.configs as ConfigValueInfo[];
  const errors = Object.fromEntries(configs.filter((c) => c.value.errors.length > 0).map((c) => [c.value.name, c.value.errors]));
  assert.deepEqual(Object.keys(errors).sort(), ['file', 'tasks.max']);
  assert.match(errors.file[0], /Missing required configuration "file"/);
  const file = configs.find((c) => c.definition.name === 'file')!;
  assert.deepEqual({ type: file.definition.type, required: file.definition.required, importance: file.definition.importance }, { type: 'STRING', required: true, importance: 'HIGH' });
});

test('a task that fails is FAILED with its trace, and runs once restarted', { timeout: 60_000 }, async () => {
  const outDir = join(dir, 'later');
  const input = join(dir, 'fail.in');
  writeFileSync(input, 'x\ny\n');
  await curl('POST', '/connectors', { name: 'fail-source', config: { 'connector.class': 'FileStreamSource', file: input, topic: 'fail' } });
  // The sink's directory does not exist yet: opening its file fails.
  await curl('POST', '/connectors', { name: 'fail-sink', config: { 'connector.class': 'FileStreamSink', file: join(outDir, 'out'), topics: 'fail' } });
  await until('the sink task failed', async () => (await status('fail-sink')).tasks[0] === 'FAILED', 20_000);
  const failed = (await curl('GET', '/connectors/fail-sink/tasks/0/status')).body;
  assert.equal(failed.state, 'FAILED');
  assert.match(failed.trace, /ENOENT/);
  assert.equal((await status('fail-sink')).connector, 'RUNNING', 'the connector itself did not fail');

  mkdirSync(outDir);
  const restart = await curl('POST', '/connectors/fail-sink/restart?includeTasks=true&onlyFailed=true');
  assert.equal(restart.status, 202);
  assert.deepEqual({ connector: restart.body.connector.state, tasks: restart.body.tasks.map((t: { state: string }) => t.state) }, { connector: 'RUNNING', tasks: ['RESTARTING'] });
  await linesCopied(join(outDir, 'out'), 2, 'lines copied by the restarted task');
  assert.deepEqual(await status('fail-sink'), { connector: 'RUNNING', tasks: ['RUNNING'] });
  for (const name of ['fail-source', 'fail-sink']) await curl('DELETE', `/connectors/${name}`);
});

test('offsets: read for a source and a sink, altered and reset only while the connector is stopped', { timeout: 60_000 }, async () => {
  const input = join(dir, 'offsets.in');
  const output = join(dir, 'offsets.out');
  writeFileSync(input, 'one\ntwo\nthree\n');
  await curl('POST', '/connectors', { name: 'off-source', config: { 'connector.class': 'FileStreamSource', file: input, topic: 'offsets' } });
  await curl('POST', '/connectors', { name: 'off-sink', config: { 'connector.class': 'FileStreamSink', file: output, topics: 'offsets' } });
  await linesCopied(output, 3, 'three lines copied');
  await until('both offsets stored', async () => (await curl('GET', '/connectors/off-source/offsets')).body.offsets.length === 1
    && (await curl('GET', '/connectors/off-sink/offsets')).body.offsets.length === 1, 10_000);
  assert.deepEqual((await curl('GET', '/connectors/off-source/offsets')).body, { offsets: [{ partition: { filename: input }, offset: { position: 14 } }] });
  assert.deepEqual((await curl('GET', '/connectors/off-sink/offsets')).body, { offsets: [{ partition: { kafka_topic: 'offsets', kafka_partition: 0 }, offset: { kafka_offset: 3 } }] });

  const running = await curl('PATCH', '/connectors/off-sink/offsets', { offsets: [{ partition: { kafka_topic: 'offsets', kafka_partition: 0 }, offset: { kafka_offset: 1 } }] });
  assert.equal(running.status, 400);
  assert.match(running.body.message, /must be in the STOPPED state/);

  // The sink goes back to offset 1: "two" and "three" are written again.
  assert.equal((await curl('PUT', '/connectors/off-sink/stop')).status, 204);
  assert.equal((await curl('PATCH', '/connectors/off-sink/offsets', { offsets: [{ partition: { kafka_topic: 'offsets', kafka_partition: '0' }, offset: { kafka_offset: 1 } }] })).status, 400, 'a partition must be a number');
  const patched = await curl('PATCH', '/connectors/off-sink/offsets', { offsets: [{ partition: { kafka_topic: 'offsets', kafka_partition: 0 }, offset: { kafka_offset: 1 } }] });
  assert.deepEqual(patched, { status: 200, body: { message: 'The offsets for this connector have been altered successfully' } });
  assert.equal((await curl('PUT', '/connectors/off-sink/resume')).status, 202);
  await linesCopied(output, 5, 'the lines after offset 1 written again');
  assert.deepEqual(lines(output), ['one', 'two', 'three', 'two', 'three']);

  // The source's offsets reset: the file is read again from its start.
  assert.equal((await curl('PUT', '/connectors/off-source/stop')).status, 204);
  assert.deepEqual((await curl('DELETE', '/connectors/off-source/offsets')).body, { message: 'The offsets for this connector have been reset successfully' });
  assert.deepEqual((await curl('GET', '/connectors/off-source/offsets')).body, { offsets: [] });
  assert.equal((await curl('PUT', '/connectors/off-source/resume')).status, 202);
  await linesCopied(output, 8, 'the file read again from its start');
  assert.deepEqual(lines(output).slice(5), ['one', 'two', 'three']);
  for (const name of ['off-source', 'off-sink']) await curl('DELETE', `/connectors/${name}`);
});
