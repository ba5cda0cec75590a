import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConnectError } from '../errors.ts';
import { OffsetFileStore } from './offset-file-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'offsets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('offsets are kept per connector and source partition, and read back by a new store on the same file', async () => {
  const path = join(dir, 'connect.offsets');
  const store = new OffsetFileStore(path);
  assert.equal(store.get('files', { filename: '/a' }), null);
  await store.write('files', [[{ filename: '/a' }, { position: 10 }], [{ filename: '/b' }, { position: 3 }]]);
  await store.write('files', [[{ filename: '/a' }, { position: 25 }]]);
  await store.write('other', [[{ filename: '/a' }, { position: 1 }]]);
  const reread = new OffsetFileStore(path);
  assert.deepEqual(reread.get('files', { filename: '/a' }), { position: 25 });
  assert.deepEqual(reread.get('files', { filename: '/b' }), { position: 3 });
  assert.deepEqual(reread.get('other', { filename: '/a' }), { position: 1 });
  // Keys as Kafka's offsets topic writes them.
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(path, 'utf8')) as object), ['["files",{"filename":"/a"}]', '["files",{"filename":"/b"}]', '["other",{"filename":"/a"}]']);
});

test('a file that is not an offsets file is refused, naming it, rather than read as empty', () => {
  const path = join(dir, 'garbage.offsets');
  writeFileSync(path, 'not json');
  assert.throws(() => new OffsetFileStore(path), (err: unknown) => err instanceof ConnectError && err.message.startsWith(`offset.storage.file.filename ${path} is not an offsets file`));
});
