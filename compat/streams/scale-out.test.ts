// Three instances of the word-count example, exactly once, each in its own process; one is
// SIGKILLed mid-stream. Its tasks move to the others, which rebuild the counts from the changelog:
// read_committed, every word's counts go 1, 2, 3, ... to its number of occurrences, with no count
// missing or written twice, as a single instance would write them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin, Producer } from '@millrace/client';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { type AppProcess, startExample } from './app-process.ts';
import { readAll, until } from './run-workload.ts';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike', 'november'];
const BATCHES = 60;
const LINES_PER_BATCH = 400;
let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
  const admin = new Admin({ brokers: [broker.bootstrap] });
  await admin.createTopics([{ topic: 'scale-lines', partitions: 6 }, { topic: 'scale-counts', partitions: 6 }]).finally(() => admin.close());
});

after(async () => {
  await broker?.dispose();
});

const line = (i: number) => `${WORDS[i % WORDS.length]} ${WORDS[(i * 3 + 1) % WORDS.length]} ${WORDS[(i * 5 + 2) % WORDS.length]}`;

async function countsByWord(): Promise<Map<string, number[]>> {
  const byWord = new Map<string, number[]>();
  for (const entry of await readAll(broker.bootstrap, 'scale-counts', (k, v) => `${String(k)}=${String(v)}`, 'read_committed')) {
    const [word, count] = entry.split('=');
    byWord.set(word, [...(byWord.get(word) ?? []), Number(count)]);
  }
  return byWord;
}

test('exactly once: one of three instances SIGKILLed mid-stream; every word counted 1..n, nothing twice or missing', { timeout: 300_000 }, async () => {
  const args = ['--brokers', broker.bootstrap, '--input', 'scale-lines', '--output', 'scale-counts', '--application-id', 'scale', '--exactly-once'];
  const apps: AppProcess[] = [0, 1, 2].map(() => startExample('word-count.ts', args));
  const expected = new Map<string, number>();
  const producer = new Producer({ brokers: [broker.bootstrap] });
  try {
    for (let b = 0; b < BATCHES; b++) {
      const lines = Array.from({ length: LINES_PER_BATCH }, (_, i) => line(b * LINES_PER_BATCH + i));
      for (const l of lines) for (const w of l.split(' ')) expected.set(w, (expected.get(w) ?? 0) + 1);
      // Keyed by line number: spread over the 6 partitions.
      await producer.send('scale-lines', lines.map((value, i) => ({ key: String(b * LINES_PER_BATCH + i), value })));
      if (b === BATCHES / 3) {
        await until('output', async () => (await countsByWord()).size > 0);
        await until('the instance to be killed runs tasks', () => /RUNNING \(tasks: \d+_\d+/.test(apps[1].output()));
        assert.equal(await apps[1].stop('SIGKILL'), 'SIGKILL');
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const done = async () => {
      const counts = await countsByWord();
      return [...expected].every(([w, n]) => (counts.get(w)?.length ?? 0) >= n);
    };
    await until('every word counted after the takeover', done, 120_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${apps.map((a, i) => `--- instance ${i}\n${a.output()}`).join('\n')}\n--- broker\n${broker.output().slice(-4000)}`);
    });
  } finally {
    await producer.close();
    for (const app of [apps[0], apps[2]]) assert.equal(await app.stop('SIGTERM'), 0, app.output());
  }
  const counts = await countsByWord();
  for (const [word, n] of expected) assert.deepEqual(counts.get(word), Array.from({ length: n }, (_, i) => i + 1), word);
});
