// Three instances of the word-count example, exactly once, each in its own process; one is
// SIGKILLed mid-stream, or paused (SIGSTOP) past its session timeout and resumed. Its tasks move to
// the others, which rebuild the counts from the changelog; a paused one finds on waking that the
// group went on without it, drops what it had not committed and joins again. Read_committed, every
// word's counts go 1, 2, 3, ... to its number of occurrences, with no count missing or written
// twice, as a single instance would write them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin, Producer } from '@millrace/client';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { type AppProcess, startExample } from './app-process.ts';
import { countsByWord, until } from './run-workload.ts';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike', 'november'];
const BATCHES = 60;
const LINES_PER_BATCH = 400;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
  const admin = new Admin({ brokers: [broker.bootstrap] });
  await admin.createTopics(['killed', 'paused'].flatMap((run) => [{ topic: `${run}-lines`, partitions: 6 }, { topic: `${run}-counts`, partitions: 6 }])).finally(() => admin.close());
});

after(async () => {
  await broker?.dispose();
});

const line = (i: number) => `${WORDS[i % WORDS.length]} ${WORDS[(i * 3 + 1) % WORDS.length]} ${WORDS[(i * 5 + 2) % WORDS.length]}`;

/**
 * Runs three exactly-once word-count instances over `run`-lines while lines are produced, strikes
 * the second with `fault` a third of the way in (it says whether the instance lives on), and checks
 * every word's counts. Every instance still alive must stop cleanly (exit code 0) at the end.
 */
async function countThroughFault(run: string, extraArgs: string[], fault: (victim: AppProcess) => Promise<'alive' | 'dead'>): Promise<void> {
  const args = ['--brokers', broker.bootstrap, '--input', `${run}-lines`, '--output', `${run}-counts`, '--application-id', run, '--exactly-once', ...extraArgs];
  const apps: AppProcess[] = [0, 1, 2].map(() => startExample('word-count.ts', args));
  let running = apps;
  const expected = new Map<string, number>();
  const producer = new Producer({ brokers: [broker.bootstrap] });
  try {
    for (let b = 0; b < BATCHES; b++) {
      const lines = Array.from({ length: LINES_PER_BATCH }, (_, i) => line(b * LINES_PER_BATCH + i));
      for (const l of lines) for (const w of l.split(' ')) expected.set(w, (expected.get(w) ?? 0) + 1);
      // Keyed by line number: spread over the 6 partitions.
      await producer.send(`${run}-lines`, lines.map((value, i) => ({ key: String(b * LINES_PER_BATCH + i), value })));
      if (b === BATCHES / 3) {
        await until('output', async () => (await countsByWord(broker.bootstrap, `${run}-counts`)).size > 0);
        await until('the instance struck runs tasks', () => /RUNNING \(tasks: \d+_\d+/.test(apps[1].output()));
        if ((await fault(apps[1])) === 'dead') running = [apps[0], apps[2]];
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const done = async () => {
      const counts = await countsByWord(broker.bootstrap, `${run}-counts`);
      return [...expected].every(([w, n]) => (counts.get(w)?.length ?? 0) >= n);
    };
    await until('every word counted after the takeover', done, 120_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${apps.map((a, i) => `--- instance ${i}\n${a.output()}`).join('\n')}\n--- broker\n${broker.output().slice(-4000)}`);
    });
  } finally {
    await producer.close();
    // Every instance is stopped before any is judged: one left running would keep this file from ending.
    const exits = await Promise.all(running.map((app) => app.stop('SIGTERM')));
    for (const [i, app] of running.entries()) assert.equal(exits[i], 0, app.output());
  }
  const counts = await countsByWord(broker.bootstrap, `${run}-counts`);
  for (const [word, n] of expected) assert.deepEqual(counts.get(word), Array.from({ length: n }, (_, i) => i + 1), word);
}

test('exactly once: one of three instances SIGKILLed mid-stream; every word counted 1..n, nothing twice or missing', { timeout: 300_000 }, async () => {
  await countThroughFault('killed', [], async (victim) => {
    assert.equal(await victim.stop('SIGKILL'), 'SIGKILL');
    return 'dead';
  });
});

test('exactly once: one of three instances paused past its session timeout, then resumed, goes on without failing; every word counted 1..n, nothing twice or missing', { timeout: 300_000 }, async () => {
  await countThroughFault('paused', ['--session-timeout-ms', '6000', '--commit-interval-ms', '100'], async (victim) => {
    victim.process.kill('SIGSTOP');
    // Past the 6 s session: the others take its tasks over meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    victim.process.kill('SIGCONT');
    return 'alive';
  });
});
