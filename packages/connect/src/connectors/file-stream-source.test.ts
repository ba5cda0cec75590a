import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { SourceTask } from '../connector.ts';
import { ConnectError } from '../errors.ts';
import { fileStreamSourceConnector } from './file-stream-source.ts';

const dir = mkdtempSync(join(tmpdir(), 'file-source-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function startTask(file: string, stored: number | null, batchSize = '2000'): Promise<{ task: SourceTask; logged: string[] }> {
  const connector = fileStreamSourceConnector();
  await connector.start({ file, topic: 'lines', 'batch.size': batchSize });
  const [config] = connector.taskConfigs(4);
  const task = connector.createTask();
  const logged: string[] = [];
  await task.start(config, {
    offset: (partition) => {
      assert.deepEqual(partition, { filename: file });
      return stored === null ? null : { position: stored };
    },
    log: (m) => logged.push(m),
  });
  return { task, logged };
}

const poll = async (task: SourceTask) => (await task.poll(AbortSignal.abort())).map((r) => [r.value, r.sourceOffset.position]);

test('reads complete lines with the byte position after each; a line still being written waits for its newline', async () => {
  const file = join(dir, 'tail.log');
  writeFileSync(file, 'alpha\r\nbé\n\npart');
  const { task } = await startTask(file, null);
  assert.deepEqual(await poll(task), [['alpha', 7], ['bé', 11], ['', 12]]);
  assert.deepEqual(await poll(task), []);
  appendFileSync(file, 'ial\nnext\n');
  assert.deepEqual(await poll(task), [['partial', 20], ['next', 25]]);
  await task.stop();
});

test('starts from the stored position; at most batch.size lines a poll; a file shorter than the position is read from its start', async () => {
  const file = join(dir, 'resume.log');
  writeFileSync(file, 'one\ntwo\nthree\nfour\n');
  const { task, logged } = await startTask(file, 4, '2');
  assert.deepEqual(await poll(task), [['two', 8], ['three', 14]]);
  assert.deepEqual(await poll(task), [['four', 19]]);
  // Rotated: a new, shorter file under the same name.
  writeFileSync(file, 'new\n');
  assert.deepEqual(await poll(task), [['new', 4]]);
  assert.match(logged[0], /shorter \(4 bytes\) than the position read \(19\): reading it from the start/);
  await task.stop();
});

test('a file that does not exist yet is waited for; settings missing or wrong are refused, named', async () => {
  const file = join(dir, 'later.log');
  const { task } = await startTask(file, null);
  assert.deepEqual(await poll(task), []);
  writeFileSync(file, 'here\n');
  assert.deepEqual(await poll(task), [['here', 5]]);
  await task.stop();
  assert.throws(() => fileStreamSourceConnector().start({ file }), (err: unknown) => err instanceof ConnectError && err.code === 'INVALID_CONFIG' && /Missing required configuration "topic"/.test(err.message));
  assert.throws(() => fileStreamSourceConnector().start({ file, topic: 't', 'batch.size': 'many' }), /Invalid value many for configuration batch.size: Not a number of type INT/);
});
