import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { StreamsError } from '../errors.ts';
import { startScript } from '../test-support/script-process.ts';
import { StateDirectory } from './state-directory.ts';

const root = mkdtempSync(join(tmpdir(), 'state-directory-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('one instance of an application holds its state directory; a second is refused with STATE_LOCKED until the first lets go', () => {
  const first = StateDirectory.acquire(root, 'app');
  assert.equal(first.path, join(root, 'app'));
  assert.throws(() => StateDirectory.acquire(root, 'app'), (err: unknown) => err instanceof StreamsError && err.code === 'STATE_LOCKED' && /give each instance on one host its own stateDir/.test(err.message));
  // Another application's directory is its own.
  StateDirectory.acquire(root, 'other-app').release();
  first.release();
  StateDirectory.acquire(root, 'app').release();
});

test('wipe deletes the tasks\' files and keeps the lock', () => {
  const directory = StateDirectory.acquire(root, 'wiped');
  mkdirSync(join(directory.path, '0_1'));
  writeFileSync(join(directory.path, '0_1', 'counts.sqlite'), 'x');
  directory.wipe();
  assert.deepEqual(readdirSync(directory.path), ['.lock']);
  assert.throws(() => StateDirectory.acquire(root, 'wiped'), /STATE_LOCKED|another instance/);
  directory.release();
  assert.ok(existsSync(join(root, 'wiped', '.lock')));
});

test('a SIGKILLed holder\'s lock goes with its process', async () => {
  const holder = await startScript(join(root, 'holder.ts'), `
    import { StateDirectory } from ${JSON.stringify(fileURLToPath(new URL('./state-directory.ts', import.meta.url)))};
    StateDirectory.acquire(${JSON.stringify(root)}, 'killed');
    process.stdout.write('held\\n');
    setInterval(() => undefined, 1000);
  `, 'held');
  assert.throws(() => StateDirectory.acquire(root, 'killed'), (err: unknown) => err instanceof StreamsError && err.code === 'STATE_LOCKED');
  await holder.kill();
  StateDirectory.acquire(root, 'killed').release();
});
