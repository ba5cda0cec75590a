// `millrace connect distributed`: two workers of one group share a file source and a file sink,
// driven through the REST API of either. One is SIGKILLed while lines stream: its tasks move to
// the other, which goes on from the offsets stored in Kafka (no line lost; the test says how many
// were written twice); started again, the worker takes back a share of the work.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { runTool } from '../harness/run-tool.ts';
import { type AppProcess, startProcess } from '../streams/app-process.ts';
import { until } from '../streams/run-workload.ts';

const main = join(resolve(import.meta.dirname, '../..'), 'packages/millrace/src/main.ts');
const LINES = 40_000;
const dir = mkdtempSync(join(tmpdir(), 'connect-distributed-'));
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ args: ['--set', 'group.initial.rebalance.delay.ms=0'] });
  writeFileSync(join(dir, 'worker.properties'), [
    `bootstrap.servers=${broker.bootstrap}`,
    'group.id=connect-cluster',
    'key.converter=org.apache.kafka.connect.storage.StringConverter',
    'value.converter=org.apache.kafka.connect.storage.StringConverter',
    'config.storage.topic=connect-configs',
    'offset.storage.topic=connect-offsets',
    'status.storage.topic=connect-status',
    'offset.flush.interval.ms=1000',
    // A killed worker's work moves after this long (Kafka Connect's default is 10 s), its sink's partitions likewise.
    'session.timeout.ms=6000',
    'heartbeat.interval.ms=1000',
    'consumer.session.timeout.ms=6000',
    'listeners=http://127.0.0.1:0',
  ].join('\n'));
});

after(async () => {
  await broker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface Worker {
  process: AppProcess;
  url: string;
  id: string;
}

async function startWorker(): Promise<Worker> {
  const process = startProcess(['--conditions=development', main, 'connect', 'distributed', join(dir, 'worker.properties')]);
  await until('the worker joined its group', () => /generation \d+: running/.test(process.output()), 30_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${process.output()}`);
  });
  const url = /REST API listening at (\S+)/.exec(process.output())![1].replace(/\/$/, '');
  return { process, url, id: url.replace('http://', '') };
}

async function rest(worker: Worker, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${worker.url}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

interface Status {
  connector: { state: string; worker_id: string };
  tasks: { id: number; state: string; worker_id: string; trace?: string }[];
}

async function status(worker: Worker, name: string): Promise<Status> {
  return (await rest(worker, 'GET', `/connectors/${name}/status`)).body as Status;
}

const line = (i: number) => `event ${String(i).padStart(6, '0')}`;
const linesOf = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(0, -1) : []);

test('two workers share the connectors; one SIGKILLed, its tasks move to the other and go on from the stored offsets', { timeout: 240_000 }, async (t) => {
  const input = join(dir, 'events.in');
  const output = join(dir, 'events.out');
  writeFileSync(input, '');
  const workers = [await startWorker(), await startWorker()];
  try {
    // Created through one worker, read back through the other.
    assert.equal((await rest(workers[0], 'POST', '/connectors', { name: 'events-source', config: { 'connector.class': 'FileStreamSource', file: input, topic: 'events' } })).status, 201);
    assert.equal((await rest(workers[1], 'PUT', '/connectors/events-sink/config', { 'connector.class': 'FileStreamSink', file: output, topics: 'events' })).status, 201);
    assert.deepEqual((await rest(workers[1], 'GET', '/connectors')).body, ['events-sink', 'events-source']);
    assert.equal((await rest(workers[1], 'POST', '/connectors', { name: 'events-source', config: { 'connector.class': 'FileStreamSource', file: input, topic: 'x' } })).status, 409);
    await until('both tasks running', async () => {
      const all = [await status(workers[1], 'events-source'), await status(workers[0], 'events-sink')];
      return all.every((s) => s.tasks.length === 1 && s.tasks[0].state === 'RUNNING');
    }, 30_000);
    // Two connectors and two tasks over two workers: each worker has work.
    const owners = new Set([(await status(workers[0], 'events-source')).tasks[0].worker_id, (await status(workers[0], 'events-sink')).tasks[0].worker_id]);
    assert.equal(owners.size, 2, `both workers run a task: ${[...owners].join(', ')}`);

    // Lines stream in (4,000 every 250 ms); halfway, the worker running the source task is SIGKILLed.
    const victimId = (await status(workers[0], 'events-source')).tasks[0].worker_id;
    const victim = workers.findIndex((w) => w.id === victimId);
    const survivor = workers[1 - victim];
    for (let i = 0; i < LINES; i += 4000) {
      appendFileSync(input, `${Array.from({ length: 4000 }, (_, k) => line(i + k)).join('\n')}\n`);
      await new Promise((r) => setTimeout(r, 250));
      if (i === LINES / 2) {
        await until('half copied', () => linesOf(output).length >= LINES / 2, 60_000);
        assert.equal(await workers[victim].process.stop('SIGKILL'), 'SIGKILL');
      }
    }
    await until('every line copied by the surviving worker', () => new Set(linesOf(output)).size >= LINES, 90_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${new Set(linesOf(output)).size} distinct lines\n${survivor.process.output()}`);
    });
    for (const name of ['events-source', 'events-sink']) {
      // A task's state is written when it starts and again once it runs (within a second).
      await until(`${name} running on the survivor`, async () => {
        const s = await status(survivor, name);
        return s.connector.worker_id === survivor.id && s.tasks[0].worker_id === survivor.id && s.tasks[0].state === 'RUNNING';
      }, 10_000);
    }
    const copied = linesOf(output);
    const seen = new Set<string>();
    const firstSeen = copied.filter((l) => !seen.has(l) && seen.add(l));
    assert.deepEqual(firstSeen, Array.from({ length: LINES }, (_, i) => line(i)), 'every line, in order, once repeats are dropped');
    t.diagnostic(`${copied.length - LINES} of ${LINES} lines written twice after the SIGKILL (offsets stored each second)`);

    // Started again, the worker rejoins and takes back a share; lines keep flowing.
    workers[victim] = await startWorker();
    await until('work spread over both workers again', async () => {
      const ids = new Set([(await status(survivor, 'events-source')).tasks[0]?.worker_id, (await status(survivor, 'events-sink')).tasks[0]?.worker_id]);
      return ids.size === 2 && ids.has(workers[victim].id);
    }, 60_000);
    appendFileSync(input, `${line(LINES)}\n`);
    await until('a line appended after the rejoin copied', () => linesOf(output).includes(line(LINES)), 30_000);
  } finally {
    for (const w of workers) if (w.process.process.exitCode === null && w.process.process.signalCode === null) assert.equal(await w.process.stop('SIGTERM'), 0, w.process.output());
  }
});

test('a distributed worker without its group settings exits 2, naming each', async () => {
  const file = join(dir, 'bad-worker.properties');
  writeFileSync(file, `bootstrap.servers=${broker.bootstrap}\nkey.converter=org.apache.kafka.connect.json.JsonConverter\nvalue.converter=org.apache.kafka.connect.json.JsonConverter\n`);
  const result = await runTool(process.execPath, ['--conditions=development', main, 'connect', 'distributed', file], { timeoutMs: 30_000, allowFailure: true });
  assert.equal(result.code, 2);
  for (const setting of ['group.id', 'config.storage.topic', 'offset.storage.topic', 'status.storage.topic']) assert.match(result.stderr, new RegExp(`Missing required configuration "${setting}"`));
});
