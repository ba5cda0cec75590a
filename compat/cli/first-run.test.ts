// What a new user meets first, run as a user runs it: the `millrace` binary (bin/millrace.js, the
// wrapper npx runs) against real files, ports, signals and kcat. One broker per data directory, one
// clear line and exit code 2 for every bad path or setting, a Kafka server.properties that works,
// Ctrl-C that stops cleanly, and the small CLI promises (--help, --version, bench e2e, produce).
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { freePort, startBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'packages/millrace/bin/millrace.js');
const scratch = mkdtempSync(join(tmpdir(), 'millrace-first-run-'));
const children = new Set<ChildProcess>();

after(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

/** `millrace ARGS` to completion, through the wrapper as npx runs it. */
function millrace(args: string[], options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) {
  return runTool(process.execPath, [bin, ...args], { timeoutMs: options.timeoutMs ?? 30_000, allowFailure: true, input: options.input, env: options.env });
}

/** A long-running `millrace` in its own process group (as a terminal runs it), with what it printed so far. */
function launch(args: string[], options: { stdin?: 'pipe' | 'ignore' } = {}) {
  const child = spawn(process.execPath, [bin, ...args], { detached: true, stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (t: string) => (output += t));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (output += t));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return {
    child,
    exited,
    output: () => output,
    /** Resolves once the output matches `pattern`, or fails with what was printed. */
    async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} in the output (exit ${child.exitCode}):\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** An error a user can act on: one line, "millrace: ...", no stack trace. */
function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, not:\n${stderr}`);
  assert.match(lines[0], /^millrace: /);
  assert.match(lines[0], pattern);
}

async function portAnswers(port: number): Promise<boolean> {
  const { code } = await runTool('kcat', ['-b', `127.0.0.1:${port}`, '-L', '-m', '2'], { timeoutMs: 10_000, allowFailure: true });
  return code === 0;
}

test('one broker per data directory: a second is refused before it touches anything, and the first loses nothing', { timeout: 180_000 }, async () => {
  const first = await startBroker();
  try {
    const lines = (from: number) => Array.from({ length: 100 }, (_, i) => `r${from + i}`).join('\n') + '\n';
    await runTool('kcat', ['-b', first.bootstrap, '-t', 'kept', '-P', '-X', 'acks=all'], { input: lines(0), timeoutMs: 30_000 });

    const second = await millrace(['start', '--data-dir', first.dataDir, '--port', String(await freePort())]);
    assert.equal(second.code, 2);
    assertOneLine(second.stderr, new RegExp(`data directory ${first.dataDir} is in use by another Millrace broker`));

    // A fresh directory but the first broker's port: refused on the port, the directory left as it was made.
    const fresh = join(scratch, 'fresh');
    const busy = await millrace(['start', '--data-dir', fresh, '--port', String(first.port)]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /EADDRINUSE.*another process is using that port/);
    assert.deepEqual(readdirSync(fresh), ['.lock'], 'nothing but the lock was written before the port was found busy');

    await runTool('kcat', ['-b', first.bootstrap, '-t', 'kept', '-P', '-X', 'acks=all'], { input: lines(100), timeoutMs: 30_000 });
    // SIGKILL leaves no stale lock: the operating system releases it with the process.
    await first.stop('SIGKILL');
    await first.restart();
    const values = (await consumeAllWithKcat(first.bootstrap, 'kept')).map((r) => r.payload);
    assert.deepEqual(values, Array.from({ length: 200 }, (_, i) => `r${i}`));
  } finally {
    await first.dispose();
  }
});

test('a bad data directory, config file or setting is one clear line and exit 2, with nothing created', { timeout: 180_000 }, async () => {
  const file = join(scratch, 'a-file');
  writeFileSync(file, 'not a directory\n');
  const port = String(await freePort());
  const start = (...args: string[]) => millrace(['start', '--port', port, ...args], { timeoutMs: 20_000 });
  const cases: [string[], RegExp][] = [
    [['--data-dir', file], /data directory .*a-file: a file is in the way/],
    [['--data-dir', join(file, 'under')], /a file is in the way/],
    [['--data-dir', '/proc/millrace'], /data directory \/proc\/millrace: it cannot be made there/],
    [['--data-dir', '/proc'], /data directory \/proc: files cannot be made there/],
    [['--data-dir', join(scratch, 'd'), '--config', join(scratch, 'missing.properties')], /--config .*missing\.properties: no such file/],
    [['--data-dir', join(scratch, 'd'), '--config', scratch], /--config .*: it is a directory/],
    [['--data-dir', join(scratch, 'd'), '--set', 'num.partitions=abc'], /num\.partitions must be a whole number from 1 to 2147483647, not "abc"/],
    [['--data-dir', join(scratch, 'd'), '--set', 'log.retention.hours=-5'], /log\.retention\.hours must be a whole number from -1/],
    [['--data-dir', join(scratch, 'd'), '--set', 'auto.create.topics.enable=yes'], /auto\.create\.topics\.enable must be true or false, not "yes"/],
    [['--data-dir', join(scratch, 'd'), '--set', 'broker.id=1', '--set', 'node.id=2'], /broker\.id=1 and node\.id=2 name different brokers/],
    [['--set', 'log.dirs=/tmp/a,/tmp/b'], /log\.dirs names 2 directories/],
    [['--data-dir', join(scratch, 'd'), '--set', 'log.dirs=/tmp/elsewhere'], /name different data directories/],
    [['--data-dir', join(scratch, 'd'), '--port', 'ninety'], /--port must be 0-65535/],
  ];
  for (const [args, pattern] of cases) {
    const { code, stderr } = await start(...args);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assertOneLine(stderr, pattern);
  }
  assert.deepEqual(readdirSync(scratch).filter((e) => e === 'd'), [], 'no data directory was made for a command line that was refused');

  // A directory this user may not write in (root may write anywhere, so as root the broker runs as nobody).
  const locked = join(scratch, 'read-only');
  mkdirSync(locked);
  chmodSync(locked, 0o555);
  chmodSync(scratch, 0o755);
  const asNobody = process.getuid?.() === 0;
  const denied = await new Promise<{ code: number | null; stderr: string }>((done) => {
    const child = spawn(process.execPath, [bin, 'start', '--port', port, '--data-dir', join(locked, 'data')], { uid: asNobody ? 65534 : undefined, gid: asNobody ? 65534 : undefined, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('exit', (code) => done({ code, stderr }));
  });
  assert.equal(denied.code, 2, denied.stderr);
  assertOneLine(denied.stderr, /read-only\/data: this user may not write there/);
});

test("a Kafka server.properties runs as written: listeners, advertised.listeners, log.dirs and broker.id; Kafka's other settings are named, not silently dropped", { timeout: 120_000 }, async () => {
  const port = await freePort();
  const logDir = join(scratch, 'kafka-logs');
  const properties = join(scratch, 'server.properties');
  writeFileSync(properties, [
    '# A broker as an Apache Kafka quickstart configures one',
    'broker.id=7',
    `listeners=PLAINTEXT://127.0.0.1:${port}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT',
    'num.network.threads=3',
    'num.io.threads=8',
    'socket.send.buffer.bytes=102400',
    'socket.receive.buffer.bytes=102400',
    'socket.request.max.bytes=104857600',
    `log.dirs=${logDir}`,
    'num.partitions=3',
    'num.recovery.threads.per.data.dir=1',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'log.retention.hours=168',
    'log.retention.check.interval.ms=300000',
    'zookeeper.connect=localhost:2181',
    '',
  ].join('\n'));
  const broker = launch(['start', '--config', properties]);
  try {
    await broker.waitFor(/clients connect with bootstrap servers/);
    assert.match(broker.output(), new RegExp(`data in ${logDir}`));
    for (const key of ['num.network.threads', 'num.io.threads', 'socket.send.buffer.bytes', 'zookeeper.connect']) {
      assert.match(broker.output(), new RegExp(`not using ${key.replaceAll('.', '\\.')}: `), key);
    }
    const bootstrap = `127.0.0.1:${port}`;
    const metadata = JSON.parse((await runTool('kcat', ['-b', bootstrap, '-L', '-J'], { timeoutMs: 10_000 })).stdout) as { brokers: { id: number; name: string }[] };
    assert.deepEqual(metadata.brokers, [{ id: 7, name: bootstrap }]);
    await runTool('kcat', ['-b', bootstrap, '-t', 'quickstart-events', '-P', '-X', 'acks=all'], { input: 'hello\nworld\n', timeoutMs: 30_000 });
    assert.deepEqual((await consumeAllWithKcat(bootstrap, 'quickstart-events')).map((r) => r.payload).sort(), ['hello', 'world']);
    assert.deepEqual(readdirSync(logDir).filter((e) => e.startsWith('quickstart-events-')).sort(), ['quickstart-events-0', 'quickstart-events-1', 'quickstart-events-2']);
  } finally {
    process.kill(-broker.child.pid!, 'SIGTERM');
    assert.equal(await broker.exited, 0);
  }

  // An advertised address of this machine where nothing listens is called out at start.
  const wrong = launch(['start', '--data-dir', join(scratch, 'advertised'), '--port', String(port), '--set', `advertised.listeners=PLAINTEXT://localhost:${port + 1}`]);
  try {
    await wrong.waitFor(/clients connect with bootstrap servers/);
    assert.match(wrong.output(), new RegExp(`sends clients of listener PLAINTEXT to localhost:${port + 1}, an address of this machine where it does not listen .*clients will not reach it`));
  } finally {
    process.kill(-wrong.child.pid!, 'SIGTERM');
    await wrong.exited;
  }
});

test("Ctrl-C stops the broker cleanly once (the terminal signals the wrapper and the broker both); a killed wrapper takes the broker with it", { timeout: 180_000 }, async () => {
  const dataDir = join(scratch, 'signals');
  const port = await freePort();
  const args = ['start', '--data-dir', dataDir, '--port', String(port)];
  const broker = launch(args);
  await broker.waitFor(/clients connect with bootstrap servers/);
  await runTool('kcat', ['-b', `127.0.0.1:${port}`, '-t', 'signals', '-P', '-X', 'acks=all'], { input: 'one\ntwo\n', timeoutMs: 30_000 });
  // Ctrl-C, twice as fast as a user can: the whole process group each time.
  process.kill(-broker.child.pid!, 'SIGINT');
  process.kill(-broker.child.pid!, 'SIGINT');
  assert.equal(await broker.exited, 0, broker.output());
  assert.equal(broker.output().match(/shutting down/g)?.length, 1, broker.output());
  assert.match(broker.output(), /millrace: stopped/);

  // SIGKILL of the wrapper alone: the broker notices and shuts down, freeing its port and directory.
  const orphaned = launch(args);
  await orphaned.waitFor(/clients connect with bootstrap servers/);
  orphaned.child.kill('SIGKILL');
  const deadline = Date.now() + 30_000;
  while (await portAnswers(port)) {
    assert.ok(Date.now() < deadline, 'the broker outlived its wrapper by 30 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  // Killed before the broker even finished starting: it still stops once it has, freeing the directory.
  const early = launch(args);
  await new Promise((r) => setTimeout(r, 300));
  early.child.kill('SIGKILL');
  const freeBy = Date.now() + 60_000;
  let again = launch(args);
  while (!(await Promise.race([again.waitFor(/clients connect with bootstrap servers/).then(() => true, () => false), again.exited.then(() => false)]))) {
    assert.match(again.output(), /is in use by another Millrace broker/);
    assert.ok(Date.now() < freeBy, 'a broker whose wrapper died during start-up still held its directory after 60 s');
    await new Promise((r) => setTimeout(r, 500));
    again = launch(args);
  }
  try {
    await again.waitFor(/clients connect with bootstrap servers/);
    assert.deepEqual((await consumeAllWithKcat(`127.0.0.1:${port}`, 'signals')).map((r) => r.payload), ['one', 'two']);
    // A following group consumer stops on Ctrl-C too, with its offsets committed.
    const consumer = launch(['consume', 'signals', '-g', 'followers', '-f', '--brokers', `127.0.0.1:${port}`]);
    await consumer.waitFor(/two/);
    process.kill(-consumer.child.pid!, 'SIGINT');
    process.kill(-consumer.child.pid!, 'SIGINT');
    assert.equal(await consumer.exited, 0, consumer.output());
    const described = await millrace(['group', 'describe', 'followers', '--brokers', `127.0.0.1:${port}`, '--output', 'json']);
    assert.deepEqual((JSON.parse(described.stdout) as { lag: number }[]).map((r) => r.lag), [0]);
  } finally {
    process.kill(-again.child.pid!, 'SIGTERM');
    await again.exited;
  }
});

test('the CLI: --version, start and dev --help, produce sends lines as they arrive, bench e2e makes its topic, an old Node is told what it needs', { timeout: 180_000 }, async () => {
  const version = (JSON.parse(readFileSync(join(root, 'packages/millrace/package.json'), 'utf8')) as { version: string }).version;
  assert.equal((await millrace(['--version'])).stdout.trim(), `millrace ${version}`);
  for (const command of ['start', 'dev']) {
    const help = await millrace([command, '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, new RegExp(`^Usage: millrace ${command} `));
  }

  const broker = await startBroker();
  try {
    // A line typed into produce reaches the topic while the command still waits for more, as with kcat -P.
    const producer = launch(['produce', 'typed', '--brokers', broker.bootstrap], { stdin: 'pipe' });
    producer.child.stdin!.write('first line\n');
    const deadline = Date.now() + 30_000;
    let seen: (string | null)[] = [];
    while (!seen.includes('first line')) {
      assert.ok(Date.now() < deadline, 'the first line was not sent within 30 s of being typed');
      assert.equal(producer.child.exitCode, null, producer.output());
      seen = (await consumeAllWithKcat(broker.bootstrap, 'typed').catch(() => [])).map((r) => r.payload);
    }
    producer.child.stdin!.end('second line\n');
    assert.equal(await producer.exited, 0, producer.output());
    assert.deepEqual((await consumeAllWithKcat(broker.bootstrap, 'typed')).map((r) => r.payload), ['first line', 'second line']);

    const e2e = await millrace(['bench', 'e2e', 'latency-check', '--rate', '200', '-d', '1', '--output', 'json', '--brokers', broker.bootstrap], { timeoutMs: 60_000 });
    assert.equal(e2e.code, 0, e2e.stderr);
    assert.match(e2e.stderr, /created topic latency-check/);
    const report = JSON.parse(e2e.stdout) as { records: number; received: number; p99Ms: number };
    assert.equal(report.received, report.records);
    assert.equal(typeof report.p99Ms, 'number');
  } finally {
    await broker.dispose();
  }

  // The machine's own Node (not the one the repository pins): the wrapper runs on it, or says what it needs.
  const systemNode = execFileSync('sh', ['-c', 'PATH=/usr/local/bin:/usr/bin:/bin command -v node || true'], { encoding: 'utf8' }).trim();
  assert.ok(systemNode, 'a system node to try the version check with');
  const [major, minor] = execFileSync(systemNode, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim().split('.').map(Number);
  const supported = major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);
  const run = await runTool(systemNode, [bin, '--version'], { timeoutMs: 30_000, allowFailure: true });
  if (supported) {
    assert.equal(run.code, 0, run.stderr);
  } else {
    assert.equal(run.code, 2);
    assertOneLine(run.stderr, /Node\.js 22\.18 or later is needed \(this is v\d+/);
  }
});
