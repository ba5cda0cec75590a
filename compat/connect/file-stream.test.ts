// `millrace connect standalone` with Kafka's FileStreamSource and FileStreamSink connectors, as
// Kafka's quickstart runs them: a file of 100,000 lines goes through a topic into another file and
// arrives identical; the topic holds Kafka's JsonConverter envelopes, as kcat reads them. SIGKILLed
// in the middle and started again, the worker loses no line (at least once: lines after the last
// stored offsets are written again, and the test says how many).
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';
import { type AppProcess, startProcess } from '../streams/app-process.ts';
import { until } from '../streams/run-workload.ts';

const main = join(resolve(import.meta.dirname, '../..'), 'packages/millrace/src/main.ts');
const LINES = 100_000;
const dir = mkdtempSync(join(tmpdir(), 'connect-file-'));
let broker: RunningBroker;

before(async () => {
  broker = await startBroker({ args: ['--set', 'group.initial.rebalance.delay.ms=0'] });
});

after(async () => {
  await broker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const line = (i: number) => `line ${String(i).padStart(6, '0')} — ${'x'.repeat(i % 50)}`;

/** The worker and connector files for run `name`: a source from `<name>.in` to topic `<name>`, a sink from it to `<name>.out`. */
function configFiles(name: string, worker: Record<string, string> = {}): string[] {
  const write = (file: string, settings: Record<string, string>) => {
    const path = join(dir, file);
    writeFileSync(path, `# ${file}\n${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
    return path;
  };
  return [
    write(`${name}-worker.properties`, {
      'bootstrap.servers': broker.bootstrap,
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'offset.storage.file.filename': join(dir, `${name}.offsets`),
      'offset.flush.interval.ms': '1000',
      // A killed worker's sink leaves its group after this long, not Kafka's default 45 s.
      'consumer.session.timeout.ms': '6000',
      // The REST API on any free port: workers of several runs may overlap.
      listeners: 'http://127.0.0.1:0',
      ...worker,
    }),
    write(`${name}-source.properties`, { name: `${name}-source`, 'connector.class': 'FileStreamSource', 'tasks.max': '1', file: join(dir, `${name}.in`), topic: name }),
    write(`${name}-sink.properties`, { name: `${name}-sink`, 'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector', 'tasks.max': '1', file: join(dir, `${name}.out`), topics: name }),
  ];
}

function startWorker(files: string[]): AppProcess {
  return startProcess(['--conditions=development', main, 'connect', 'standalone', ...files]);
}

const linesOf = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(0, -1) : []);

/** Waits until `file` holds `count` lines (distinct ones, when `distinct`); on a timeout, says what the worker logged. */
async function copied(worker: AppProcess, file: string, count: number, what: string, distinct = false): Promise<void> {
  const lines = () => (distinct ? new Set(linesOf(file)).size : linesOf(file).length);
  await until(what, () => lines() >= count, 90_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${lines()} lines\n${worker.output()}`);
  });
}

test('100,000 lines go from a file through a topic into another file, identical; the topic holds JsonConverter envelopes', { timeout: 180_000 }, async () => {
  const input = Array.from({ length: LINES }, (_, i) => line(i));
  writeFileSync(join(dir, 'whole.in'), `${input.slice(0, LINES / 2).join('\n')}\n`);
  const worker = startWorker(configFiles('whole'));
  try {
    await copied(worker, join(dir, 'whole.out'), LINES / 2, 'the first half copied');
    // The source tails the file: lines appended while it runs are read too, the last one without
    // its newline only once it is complete.
    appendFileSync(join(dir, 'whole.in'), `${input.slice(LINES / 2).join('\n')}`);
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(linesOf(join(dir, 'whole.out')).length < LINES, 'a line without its newline is not read');
    appendFileSync(join(dir, 'whole.in'), '\n');
    await copied(worker, join(dir, 'whole.out'), LINES, 'every line copied');
  } finally {
    assert.equal(await worker.stop('SIGTERM'), 0, worker.output());
  }
  assert.equal(readFileSync(join(dir, 'whole.out'), 'utf8'), readFileSync(join(dir, 'whole.in'), 'utf8'));
  const records = await consumeAllWithKcat(broker.bootstrap, 'whole');
  assert.equal(records.length, LINES);
  assert.deepEqual(JSON.parse(records[7].payload!), { schema: { type: 'string', optional: false }, payload: line(7) });
  assert.equal(records[7].key, null);
});

test('SIGKILLed mid-copy and started again, the worker loses no line and keeps their order', { timeout: 240_000 }, async (t) => {
  const input = Array.from({ length: LINES }, (_, i) => line(i));
  const files = configFiles('killed');
  let worker = startWorker(files);
  try {
    // The file grows by 5,000 lines every 250 ms (a busy log), so the kill lands after several
    // offset flushes (one a second) and in the middle of the stream.
    for (let i = 0; i < LINES; i += 5000) {
      appendFileSync(join(dir, 'killed.in'), `${input.slice(i, i + 5000).join('\n')}\n`);
      await new Promise((r) => setTimeout(r, 250));
      if (i === LINES / 2) {
        await copied(worker, join(dir, 'killed.out'), LINES / 2, 'half copied');
        assert.equal(await worker.stop('SIGKILL'), 'SIGKILL');
        worker = startWorker(files);
      }
    }
    await copied(worker, join(dir, 'killed.out'), LINES, 'every line copied after the restart', true);
  } finally {
    assert.equal(await worker.stop('SIGTERM'), 0, worker.output());
  }
  const output = linesOf(join(dir, 'killed.out'));
  // At least once: a run of lines may be written twice, where the restart went back to the last
  // stored offsets; with each repeat dropped, the output is the input.
  const firstSeen: string[] = [];
  const seen = new Set<string>();
  for (const l of output) {
    if (seen.has(l)) continue;
    firstSeen.push(l);
    seen.add(l);
  }
  assert.deepEqual(firstSeen, input);
  t.diagnostic(`${output.length - LINES} of ${LINES} lines written twice after the SIGKILL (offsets stored each second)`);
});

test('a configuration error names the setting and exits 2 before anything starts', async () => {
  const [workerFile, source] = configFiles('bad');
  writeFileSync(join(dir, 'bad-source.properties'), 'name=bad-source\nconnector.class=FileStreamSource\n');
  const run = (...args: string[]) => runTool(process.execPath, ['--conditions=development', main, 'connect', 'standalone', ...args], { timeoutMs: 30_000, allowFailure: true });
  let result = await run(workerFile, source);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /connector bad-source: Connector configuration is invalid and contains the following 2 error\(s\):\nMissing required configuration "file" which has no default value.\nMissing required configuration "topic"/);
  writeFileSync(join(dir, 'bad-source.properties'), 'name=bad-source\nconnector.class=com.example.Nope\n');
  result = await run(workerFile, source);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /connector.class: no connector plugin "com.example.Nope"/);
  writeFileSync(workerFile, `bootstrap.servers=${broker.bootstrap}\nkey.converter=org.apache.kafka.connect.json.JsonConverter\n`);
  result = await run(workerFile, source);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /worker: Missing required configuration "value.converter".*Missing required configuration "offset.storage.file.filename"/);
});
