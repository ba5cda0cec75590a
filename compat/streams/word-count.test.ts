// The word-count example run as a user runs it, against a broker process: lines produced by kcat
// (librdkafka) into 3 partitions, counts read back by kcat; stopped with SIGTERM and restarted, its
// counts continue from the changelog.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin } from '@millrace/client';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';
import { startExample } from './app-process.ts';
import { until } from './run-workload.ts';

const VOCABULARY = ['kafka', 'streams', 'millrace', 'event', 'log', 'offset', 'partition', 'broker', 'topic', 'record', 'Table', 'JOIN'];
let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
  const admin = new Admin({ brokers: [broker.bootstrap] });
  await admin.createTopics([{ topic: 'lines', partitions: 3 }, { topic: 'word-counts', partitions: 3 }]).finally(() => admin.close());
});

after(async () => {
  await broker?.dispose();
});


function wordsOf(lines: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) for (const w of line.toLowerCase().split(/\W+/).filter(Boolean)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** Each word's counts as written, in order: they must go 1, 2, 3, ... with none missing or repeated. */
async function countsByWord(): Promise<Map<string, number[]>> {
  const byWord = new Map<string, number[]>();
  for (const r of await consumeAllWithKcat(broker.bootstrap, 'word-counts')) byWord.set(r.key!, [...(byWord.get(r.key!) ?? []), Number(r.payload)]);
  return byWord;
}

test('word-count.ts counts kcat\'s lines; after SIGTERM and a restart its counts go on from where they were', async () => {
  const first = Array.from({ length: 2000 }, (_, i) => `${VOCABULARY[i % 12]} ${VOCABULARY[(i * 5) % 12]}, ${VOCABULARY[(i * 7 + 3) % 12]}!`);
  await runTool('kcat', ['-b', broker.bootstrap, '-P', '-t', 'lines'], { input: first.join('\n') + '\n', timeoutMs: 60_000 });
  const args = ['--brokers', broker.bootstrap, '--input', 'lines', '--output', 'word-counts'];
  let app = startExample('word-count.ts', args);
  const expected = wordsOf(first);
  const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  try {
    await until('every word counted', async () => total(new Map([...(await countsByWord())].map(([w, c]) => [w, c.length]))) >= total(expected));
  } finally {
    assert.equal(await app.stop('SIGTERM'), 0, app.output());
  }
  let counts = await countsByWord();
  for (const [word, n] of expected) assert.deepEqual(counts.get(word), Array.from({ length: n }, (_, i) => i + 1), word);
  assert.equal(counts.size, expected.size);

  const second = Array.from({ length: 500 }, (_, i) => `${VOCABULARY[(i * 3) % 12]} and ${VOCABULARY[(i + 1) % 12]}`);
  await runTool('kcat', ['-b', broker.bootstrap, '-P', '-t', 'lines'], { input: second.join('\n') + '\n', timeoutMs: 60_000 });
  const all = wordsOf([...first, ...second]);
  app = startExample('word-count.ts', args);
  try {
    await until('the new lines counted', async () => total(new Map([...(await countsByWord())].map(([w, c]) => [w, c.length]))) >= total(all));
  } finally {
    assert.equal(await app.stop('SIGTERM'), 0, app.output());
  }
  counts = await countsByWord();
  for (const [word, n] of all) assert.deepEqual(counts.get(word), Array.from({ length: n }, (_, i) => i + 1), `${word} after the restart`);
});
