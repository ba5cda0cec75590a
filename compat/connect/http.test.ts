// The HTTP connectors against a real HTTP server in this process: the sink delivers every record
// in order through 503s and a 429 with Retry-After, fails with the server's answer on a 400 and
// delivers once restarted; the source follows a cursor (`${offset}` in its URL) and, stopped and
// started again, goes on where it left off without fetching anything twice.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat, type KcatRecord } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';
import { until } from '../streams/run-workload.ts';
import { curl, type RestWorker, startStandaloneWorker, states } from './connect-worker.ts';

const dir = mkdtempSync(join(tmpdir(), 'connect-http-'));
let broker: RunningBroker;
let worker: RestWorker;
let server: Server;
let base: string;

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}
const received: Received[] = [];
/** What the server answers next, by path, before it answers 200. */
const scripted = new Map<string, { status: number; headers?: Record<string, string>; body: string }[]>();
const events: { id: number; user: string; action: string }[] = [];
const sinceAsked: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => {
      const url = new URL(req.url!, 'http://x');
      if (req.method === 'GET' && url.pathname === '/events') {
        const since = url.searchParams.get('since') ?? '';
        sinceAsked.push(since);
        const page = events.filter((e) => e.id > Number(since || 0)).slice(0, 5);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ data: page }));
        return;
      }
      received.push({ path: url.pathname, headers: req.headers, body });
      const next = scripted.get(url.pathname)?.shift();
      if (next) res.writeHead(next.status, next.headers).end(next.body);
      else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  broker = await startBroker({ args: ['--set', 'group.initial.rebalance.delay.ms=0'] });
  worker = await startStandaloneWorker(dir, broker.bootstrap);
});

after(async () => {
  if (worker) assert.equal(await worker.process.stop('SIGTERM'), 0, worker.process.output());
  await broker?.dispose();
  server?.closeAllConnections();
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the HTTP sink delivers every record in order, in batches, through 503s and a 429 with Retry-After', { timeout: 90_000 }, async () => {
  const orders = Array.from({ length: 45 }, (_, i) => JSON.stringify({ order: i, total: i * 1.5 }));
  await runTool('kcat', ['-b', broker.bootstrap, '-P', '-t', 'orders'], { input: `${orders.join('\n')}\n`, timeoutMs: 30_000 });
  scripted.set('/ingest', [{ status: 503, body: 'warming up' }, { status: 503, body: 'still warming up' }, { status: 429, headers: { 'Retry-After': '1' }, body: 'slow down' }]);
  const created = await curl(worker, 'POST', '/connectors', {
    name: 'orders-http',
    config: {
      'connector.class': 'io.millrace.connect.http.HttpSinkConnector', topics: 'orders', 'http.api.url': `${base}/ingest`,
      'batch.max.size': '10', headers: 'Authorization:Bearer s3cret|X-Source:millrace', 'retry.backoff.ms': '100',
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const accepted = () => received.filter((r) => r.path === '/ingest').slice(3);
  await until('every order delivered', () => accepted().flatMap((r) => JSON.parse(r.body) as unknown[]).length >= 45, 60_000);
  const attempts = received.filter((r) => r.path === '/ingest');
  assert.equal(attempts[0].body, attempts[3].body, 'the refused batch is sent again as it was');
  assert.deepEqual(accepted().flatMap((r) => JSON.parse(r.body) as unknown[]), orders.map((o) => JSON.parse(o)), 'each order once, in order');
  assert.deepEqual(accepted().map((r) => (JSON.parse(r.body) as unknown[]).length), [10, 10, 10, 10, 5]);
  assert.equal(attempts[0].headers.authorization, 'Bearer s3cret');
  assert.equal(attempts[0].headers['x-source'], 'millrace');
  assert.equal(attempts[0].headers['content-type'], 'application/json');
  assert.deepEqual(await states(worker, 'orders-http'), { connector: 'RUNNING', tasks: ['RUNNING'] });
});

test('a 400 fails the sink task with the server\'s answer; restarted, it delivers what was refused', { timeout: 60_000 }, async () => {
  scripted.set('/strict', [{ status: 400, body: 'field "total" must be an integer' }]);
  await curl(worker, 'POST', '/connectors', { name: 'strict-http', config: { 'connector.class': 'HttpSinkConnector', topics: 'orders', 'http.api.url': `${base}/strict`, 'batch.max.size': '50' } });
  await until('the task failed', async () => (await states(worker, 'strict-http')).tasks[0] === 'FAILED', 30_000);
  const task = (await curl(worker, 'GET', '/connectors/strict-http/tasks/0/status')).body;
  assert.match(task.trace, /answered 400 Bad Request: field "total" must be an integer/);
  assert.equal((await curl(worker, 'POST', '/connectors/strict-http/tasks/0/restart')).status, 204);
  await until('delivered after the restart', () => received.filter((r) => r.path === '/strict').length >= 2, 30_000);
  assert.equal((JSON.parse(received.filter((r) => r.path === '/strict')[1].body) as unknown[]).length, 45);
  const bad = await curl(worker, 'POST', '/connectors', { name: 'bad-http', config: { 'connector.class': 'HttpSinkConnector', topics: 'orders', 'http.api.url': 'ftp://x', 'request.method': 'GET' } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /http.api.url: ftp: is not http: or https:/);
});

test('stopping a sink whose endpoint is down gives up its retries instead of waiting them out', { timeout: 60_000 }, async () => {
  scripted.set('/down', Array.from({ length: 1000 }, () => ({ status: 503, body: 'down for maintenance' })));
  await curl(worker, 'POST', '/connectors', { name: 'down-http', config: { 'connector.class': 'HttpSinkConnector', topics: 'orders', 'http.api.url': `${base}/down`, 'max.retries': '1000', 'retry.backoff.ms': '5000' } });
  await until('the endpoint refused twice', () => received.filter((r) => r.path === '/down').length >= 2, 30_000);
  // Its retries would take hours; the stop (curl's limit is 30 s) must not wait for them.
  assert.equal((await curl(worker, 'PUT', '/connectors/down-http/stop')).status, 204);
  assert.deepEqual(await states(worker, 'down-http'), { connector: 'STOPPED', tasks: [] });
  assert.equal((await curl(worker, 'DELETE', '/connectors/down-http')).status, 204);
});

test('the HTTP source follows its cursor, and after a restart goes on from the stored offset without fetching anything twice', { timeout: 90_000 }, async () => {
  for (let id = 1; id <= 12; id++) events.push({ id, user: `u${id % 3}`, action: `a${id}` });
  const source = {
    name: 'events-http',
    config: {
      'connector.class': 'io.millrace.connect.http.HttpSourceConnector', topic: 'events', 'http.url': `${base}/events?since=\${offset}`,
      'http.records.field': 'data', 'http.offset.field': 'id', 'http.initial.offset': '0', 'http.key.field': 'user', 'http.poll.interval.ms': '200',
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'false',
    },
  };
  assert.equal((await curl(worker, 'POST', '/connectors', source)).status, 201);
  let records: KcatRecord[] = [];
  const read = async () => (records = await consumeAllWithKcat(broker.bootstrap, 'events').catch(() => []));
  await until('12 events in the topic', async () => (await read()).length >= 12, 30_000);
  assert.deepEqual(records.map((r) => JSON.parse(r.payload!).id), Array.from({ length: 12 }, (_, i) => i + 1));
  assert.equal(records[0].key, 'u1');
  assert.deepEqual(sinceAsked.slice(0, 3), ['0', '5', '10'], 'each request asks for what follows the last record');

  // Stopped cleanly, the worker stores its offsets; started again (a standalone worker keeps
  // connectors only as long as it runs, so it is created again), it asks from there.
  assert.equal(await worker.process.stop('SIGTERM'), 0, worker.process.output());
  for (let id = 13; id <= 20; id++) events.push({ id, user: `u${id % 3}`, action: `a${id}` });
  const asked = sinceAsked.length;
  worker = await startStandaloneWorker(dir, broker.bootstrap);
  assert.equal((await curl(worker, 'POST', '/connectors', source)).status, 201);
  await until('20 events in the topic', async () => (await read()).length >= 20, 30_000);
  assert.equal(sinceAsked[asked], '12', 'the restarted source starts after the last stored offset');
  assert.deepEqual(records.map((r) => JSON.parse(r.payload!).id), Array.from({ length: 20 }, (_, i) => i + 1), 'every event once, in order');
});
