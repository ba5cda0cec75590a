// Word count with its counts in a persistent (SQLite) store, against a real broker. The store keeps
// the changelog offset its state reaches in the same local transaction as the state, so a restart
// restores only the changelog after it: after a clean stop, nothing; after a SIGKILL, the changes
// since the last local commit. Exactly once, through three SIGKILLs, every word's counts still go
// 1, 2, 3, ... with no count missing or written twice.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Admin, Producer } from '@millrace/client';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { type AppProcess, startExample } from './app-process.ts';
import { countsByWord, until } from './run-workload.ts';

const WORDS = ['amber', 'basalt', 'cobalt', 'dune', 'ember', 'fjord', 'granite', 'harbor', 'iris', 'jade', 'kelp'];
let broker: RunningBroker;
const stateRoot = mkdtempSync(join(tmpdir(), 'streams-state-'));

before(async () => {
  broker = await startBroker();
  const admin = new Admin({ brokers: [broker.bootstrap] });
  await admin.createTopics(['clean', 'killed', 'locked'].flatMap((run) => [{ topic: `ps-${run}-lines`, partitions: 3 }, { topic: `ps-${run}-counts`, partitions: 3 }])).finally(() => admin.close());
});

after(async () => {
  await broker?.dispose();
  rmSync(stateRoot, { recursive: true, force: true });
});

const line = (i: number) => `${WORDS[i % WORDS.length]} ${WORDS[(i * 7 + 3) % WORDS.length]}`;

function wordCount(run: string, stateDir: string, guarantee: string[]): AppProcess {
  // A short session timeout: a killed instance's place in the group is given up sooner for its successor.
  const args = ['--brokers', broker.bootstrap, '--input', `ps-${run}-lines`, '--output', `ps-${run}-counts`, '--application-id', `ps-${run}`, '--session-timeout-ms', '6000'];
  return startExample('word-count.ts', [...args, '--persistent', '--state-dir', stateDir, ...guarantee]);
}

/** Produces lines `from` to `to` (keyed by number) and adds their words to `expected`. */
async function produceLines(producer: Producer, run: string, from: number, to: number, expected: Map<string, number>): Promise<void> {
  const lines = Array.from({ length: to - from }, (_, i) => line(from + i));
  for (const l of lines) for (const w of l.split(' ')) expected.set(w, (expected.get(w) ?? 0) + 1);
  await producer.send(`ps-${run}-lines`, lines.map((value, i) => ({ key: String(from + i), value })));
}

async function allCounted(run: string, expected: Map<string, number>, apps: () => string): Promise<void> {
  await until('every word counted', async () => {
    const counts = await countsByWord(broker.bootstrap, `ps-${run}-counts`);
    return [...expected].every(([w, n]) => (counts.get(w)?.at(-1) ?? 0) >= n);
  }, 120_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${apps()}\n--- broker\n${broker.output().slice(-4000)}`);
  });
}

/** The offsets restores started from, as the application logged them ("restored N records of T from offset S" or "up to date ... at offset S"). */
function restoreStarts(output: string): number[] {
  return [...output.matchAll(/(?:from offset|at offset) (\d+)/g)].map((m) => Number(m[1]));
}

test('at least once, stopped and started again: the counts come back from the state directory, with nothing restored from the changelog', async () => {
  const stateDir = join(stateRoot, 'clean');
  const expected = new Map<string, number>();
  const producer = new Producer({ brokers: [broker.bootstrap] });
  try {
    await produceLines(producer, 'clean', 0, 300, expected);
    let app = wordCount('clean', stateDir, []);
    await allCounted('clean', expected, () => app.output());
    assert.equal(await app.stop('SIGTERM'), 0, app.output());
    assert.ok(existsSync(join(stateDir, 'ps-clean', '1_0', 'counts.sqlite')), 'the store file is in <stateDir>/<applicationId>/<task>');

    await produceLines(producer, 'clean', 300, 400, expected);
    app = wordCount('clean', stateDir, []);
    await allCounted('clean', expected, () => app.output());
    assert.equal(await app.stop('SIGTERM'), 0, app.output());
    const output = app.output();
    assert.match(output, /found counts up to date with ps-clean-counts-changelog at offset [1-9]/, output);
    assert.doesNotMatch(output, /restored \d+ records/, output);
  } finally {
    await producer.close();
  }
  const counts = await countsByWord(broker.bootstrap, 'ps-clean-counts');
  for (const [word, n] of expected) assert.deepEqual(counts.get(word), Array.from({ length: n }, (_, i) => i + 1), word);
});

test('exactly once, SIGKILLed three times while busy and started again on the same state directory: every word counted 1..n, nothing twice or missing', { timeout: 300_000 }, async () => {
  const stateDir = join(stateRoot, 'killed');
  const expected = new Map<string, number>();
  const producer = new Producer({ brokers: [broker.bootstrap] });
  const outputs: string[] = [];
  const written = async () => [...(await countsByWord(broker.bootstrap, 'ps-killed-counts')).values()].reduce((sum, counts) => sum + counts.length, 0);
  let app = wordCount('killed', stateDir, ['--exactly-once']);
  let next = 0;
  try {
    for (let kill = 0; kill < 3; kill++) {
      await until('the instance runs its tasks', () => /RUNNING \(tasks: \d+_\d+/.test(app.output()));
      // A burst, and the kill once some of it is counted: the store holds changes not yet committed.
      const before = await written();
      await produceLines(producer, 'killed', next, next + 4000, expected);
      next += 4000;
      await until('part of the burst counted', async () => (await written()) >= before + 500);
      assert.equal(await app.stop('SIGKILL'), 'SIGKILL');
      outputs.push(app.output());
      app = wordCount('killed', stateDir, ['--exactly-once']);
    }
    await produceLines(producer, 'killed', next, next + 100, expected);
    await allCounted('killed', expected, () => [...outputs, app.output()].join('\n---\n'));
  } finally {
    await producer.close();
    assert.equal(await app.stop('SIGTERM'), 0, app.output());
  }
  outputs.push(app.output());
  const counts = await countsByWord(broker.bootstrap, 'ps-killed-counts');
  for (const [word, n] of expected) assert.deepEqual(counts.get(word), Array.from({ length: n }, (_, i) => i + 1), word);
  // Each start after the first began from where its store's last local commit left it, not from the changelog's start.
  for (const output of outputs.slice(1)) assert.ok(restoreStarts(output).some((offset) => offset > 0), output);
});

test('a second instance on the same state directory is refused with STATE_LOCKED, and exits', async () => {
  const stateDir = join(stateRoot, 'locked');
  const first = wordCount('locked', stateDir, []);
  try {
    await until('the first instance runs', () => /RUNNING/.test(first.output()));
    const second = wordCount('locked', stateDir, []);
    await until('the second instance exits', () => second.process.exitCode !== null);
    assert.equal(second.process.exitCode, 1, second.output());
    assert.match(second.output(), /another instance of "ps-locked" is using the state directory .*: give each instance on one host its own stateDir/);
  } finally {
    assert.equal(await first.stop('SIGTERM'), 0, first.output());
  }
});
