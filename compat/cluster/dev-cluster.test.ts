// `millrace dev --brokers 2` as a user runs it: a local etcd and two brokers in one process. kcat
// sees both, a new topic gets two replicas, a librdkafka transactional producer commits (the
// internal topics replicate as far as two brokers allow), and Ctrl-C stops it all cleanly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../harness/broker-process.ts';
import { readValuesWithKcat } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';

const main = join(import.meta.dirname, '../../packages/millrace/src/main.ts');

test('millrace dev --brokers 2 starts etcd and two brokers that replicate and run transactions, and stops on Ctrl-C', { timeout: 180_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-dev-'));
  const port = await freePort();
  const dev = spawn(process.execPath, ['--conditions=development', main, 'dev', '--brokers', '2', '--data-dir', dataDir, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  dev.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  dev.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<number | null>((resolve) => dev.once('exit', resolve));
  try {
    const deadline = Date.now() + 60_000;
    while (!output.includes('ready')) {
      if (Date.now() > deadline || dev.exitCode !== null) throw new Error(`the development cluster did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const bootstrap = `127.0.0.1:${port},127.0.0.1:${port + 1}`;
    assert.match(output, new RegExp(`broker 2: 127\\.0\\.0\\.1:${port + 1}`));
    const txn = await runTool('/usr/bin/python3', ['-c', [
      'from confluent_kafka import Producer',
      `p = Producer({"bootstrap.servers": "${bootstrap}", "transactional.id": "dev-tx"})`,
      'p.init_transactions(30)',
      'p.begin_transaction()',
      'for i in range(10): p.produce("dev-topic", ("v%d" % i).encode())',
      'p.commit_transaction(30)',
    ].join('\n')], { timeoutMs: 90_000 });
    assert.equal(txn.code, 0, txn.stderr);
    const { stdout } = await runTool('kcat', ['-b', bootstrap, '-L', '-J', '-t', 'dev-topic'], { timeoutMs: 30_000 });
    const md = JSON.parse(stdout) as { brokers: { id: number }[]; topics: { partitions: { replicas: unknown[] }[] }[] };
    assert.deepEqual(md.brokers.map((b) => b.id).sort(), [1, 2]);
    assert.ok(md.topics[0].partitions.every((p) => p.replicas.length === 2), 'new topics get two replicas');
    assert.deepEqual(await readValuesWithKcat(bootstrap, 'dev-topic', 'read_committed'), Array.from({ length: 10 }, (_, i) => `v${i}`).sort());
    dev.kill('SIGINT');
    assert.equal(await exited, 0, output);
    assert.match(output, /millrace: stopped/);
  } finally {
    dev.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('millrace dev --brokers 2 with the second port taken names it and starts nothing', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-dev-'));
  // A port whose neighbour below is free (for the first broker), the port itself held by another server.
  const taken = createServer();
  let secondPort = 0;
  while (!secondPort) {
    const candidate = (await freePort()) + 1;
    const bound = await new Promise<boolean>((done) => {
      taken.once('error', () => done(false));
      taken.listen(candidate, '127.0.0.1', () => done(true));
    });
    if (bound) secondPort = candidate;
  }
  try {
    const dev = await runTool(process.execPath, ['--conditions=development', main, 'dev', '--brokers', '2', '--data-dir', dataDir, '--port', String(secondPort - 1)], { timeoutMs: 30_000, allowFailure: true });
    assert.equal(dev.code, 1, dev.stdout + dev.stderr);
    assert.match(dev.stderr, new RegExp(`broker 2's port: listen EADDRINUSE.*127\\.0\\.0\\.1:${secondPort}`));
    assert.ok(!existsSync(join(dataDir, 'etcd')), 'etcd was not started');
    assert.ok(!existsSync(join(dataDir, 'broker-1')), 'the first broker was not started');
  } finally {
    taken.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
