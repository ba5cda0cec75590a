import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Serdes } from '../serdes.ts';
import { startScript } from '../test-support/script-process.ts';
import { InMemoryKeyValueStore } from './key-value-store.ts';
import { PersistentKeyValueStore } from './persistent-key-value-store.ts';
import type { StoreContext } from './state-store.ts';

const root = mkdtempSync(join(tmpdir(), 'persistent-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDirectory = () => join(root, `task-${++dirs}`);

function context(directory: string | null, logged: [string, string | null][] = []): StoreContext {
  return { taskId: '0_0', partition: 0, directory, log: (key, value) => logged.push([key.toString('latin1'), value === null ? null : value.toString('utf8')]) };
}

function open(directory: string | null, logged?: [string, string | null][]): PersistentKeyValueStore<string, string> {
  const store = new PersistentKeyValueStore('counts', Serdes.string(), Serdes.string());
  store.init(context(directory, logged));
  return store;
}

test('answers every read as the in-memory store does, ranges in byte order of the serialized keys', () => {
  const persistent = open(freshDirectory());
  const memory = new InMemoryKeyValueStore('counts', Serdes.string(), Serdes.string());
  memory.init(context(null));
  // Keys whose UTF-8 bytes order differently from their UTF-16 code units, empty keys and 0xff bytes included.
  const keys = ['', 'a', 'ab', 'b', 'é', 'z', '\u{1F600}', '\uFFFD', 'ÿ', 'ÿÿ', 'a\u0000b', '10', '9'];
  let seed = 7;
  const next = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
  for (let i = 0; i < 400; i++) {
    const key = keys[next(keys.length)];
    if (next(4) === 0) assert.equal(persistent.delete(key), memory.delete(key), `delete ${key}`);
    else {
      const value = `v${i}`;
      persistent.put(key, value);
      memory.put(key, value);
    }
    assert.equal(persistent.get(key), memory.get(key));
  }
  assert.deepEqual(persistent.all(), memory.all());
  assert.ok(persistent.all().length > 3);
  for (const [from, to] of [['a', 'b'], ['', 'é'], [undefined, 'ab'], ['ab', undefined], ['z', 'a']] as [string | undefined, string | undefined][]) {
    assert.deepEqual(persistent.range(from, to), memory.range(from, to), `range ${from}..${to}`);
  }
  for (const prefix of ['a', 'ÿ', '', 'q']) assert.deepEqual(persistent.prefixScan(Buffer.from(prefix)), memory.prefixScan(Buffer.from(prefix)), `prefix ${prefix}`);
  assert.equal(persistent.approximateNumEntries(), memory.approximateNumEntries());
  persistent.close();
});

test('a prefix scan of 0xff bytes runs to the last key (no key comes after all those it starts)', () => {
  const store = new PersistentKeyValueStore('raw', Serdes.bytes(), Serdes.string());
  store.init(context(freshDirectory()));
  for (const key of [[0xfe], [0xff], [0xff, 0x00], [0xff, 0xff], [0xff, 0xff, 0x01]]) store.put(Buffer.from(key), 'x');
  assert.deepEqual(store.prefixScan(Buffer.from([0xff, 0xff])).map(([k]) => [...k]), [[0xff, 0xff], [0xff, 0xff, 0x01]]);
  assert.deepEqual(store.prefixScan(Buffer.from([0xff])).map(([k]) => [...k]), [[0xff], [0xff, 0x00], [0xff, 0xff], [0xff, 0xff, 0x01]]);
  store.close();
});

test('every put and delete goes to the changelog as it happens, restored ones do not', () => {
  const logged: [string, string | null][] = [];
  const store = open(freshDirectory(), logged);
  store.put('a', '1');
  store.put('a', '2');
  store.delete('a');
  store.delete('missing');
  store.restore(Buffer.from('b'), Buffer.from('3'));
  assert.deepEqual(logged, [['a', '1'], ['a', '2'], ['a', null]]);
  assert.equal(store.get('b'), '3');
  store.close();
});

test('a commit keeps the state with its changelog offset; what came after the last commit is gone on reopening', () => {
  const directory = freshDirectory();
  let store = open(directory);
  assert.equal(store.restoreFrom(0), 0, 'a new store restores from the start');
  store.put('a', '1');
  store.put('b', '1');
  store.commit(2);
  store.put('a', '2');
  store.delete('b');
  store.commit(null);
  store.put('c', '1');
  store.close();
  store = open(directory);
  assert.deepEqual(store.all(), [['a', '2']]);
  // A commit with no changelog offset keeps the last one.
  assert.equal(store.restoreFrom(10), 2);
  store.close();
});

test('a state ahead of its changelog (the topic was deleted and made again) is dropped: restore starts over', () => {
  const directory = freshDirectory();
  let store = open(directory);
  store.put('a', '1');
  store.commit(5);
  store.close();
  store = open(directory);
  assert.equal(store.restoreFrom(3), 0);
  assert.deepEqual(store.all(), []);
  store.close();
  store = open(directory);
  assert.deepEqual(store.all(), [], 'the drop was committed');
  store.close();
});

test('a process killed between commits leaves the last committed state and offset', async () => {
  const directory = freshDirectory();
  const writer = await startScript(join(root, 'writer.ts'), `
    import { PersistentKeyValueStore } from ${JSON.stringify(fileURLToPath(new URL('./persistent-key-value-store.ts', import.meta.url)))};
    import { Serdes } from ${JSON.stringify(fileURLToPath(new URL('../serdes.ts', import.meta.url)))};
    const store = new PersistentKeyValueStore('counts', Serdes.string(), Serdes.string());
    store.init({ taskId: '0_0', partition: 0, directory: ${JSON.stringify(directory)}, log: () => undefined });
    for (let i = 0; i < 1000; i++) store.put('k' + i, 'committed');
    store.commit(1000);
    for (let i = 0; i < 2000; i++) store.put('k' + i, 'uncommitted');
    process.stdout.write('written\\n');
    setInterval(() => undefined, 1000);
  `, 'written');
  await writer.kill();
  const store = open(directory);
  assert.equal(store.restoreFrom(5000), 1000);
  assert.equal(store.approximateNumEntries(), 1000);
  assert.deepEqual(new Set(store.all().map(([, v]) => v)), new Set(['committed']));
  store.close();
});

test('without a directory (the test driver) it keeps its state in memory', () => {
  const store = open(null);
  store.put('a', '1');
  store.commit(1);
  assert.equal(store.get('a'), '1');
  store.close();
});

test('entries are read as the loop asks, and the entry just read may be deleted; both stores alike', () => {
  const persistent = open(freshDirectory());
  const memory = new InMemoryKeyValueStore('counts', Serdes.string(), Serdes.string());
  memory.init(context(null));
  for (const store of [persistent, memory]) {
    for (let i = 0; i < 2500; i++) store.put(`k${String(i).padStart(4, '0')}`, String(i));
    const read: string[] = [];
    for (const [key] of store.entries('k0100')) {
      read.push(key);
      store.delete(key);
      // A nested read of the same store while the loop is open.
      if (key === 'k0200') assert.deepEqual(store.entries('k2498').next().value, ['k2498', '2498']);
      if (read.length === 500) break;
    }
    assert.deepEqual(read, Array.from({ length: 500 }, (_, i) => `k${String(i + 100).padStart(4, '0')}`));
    assert.equal(store.approximateNumEntries(), 2000);
    assert.deepEqual(store.range('k0098', 'k0700').map(([k]) => k), ['k0098', 'k0099', 'k0600', 'k0601', ...Array.from({ length: 99 }, (_, i) => `k0${602 + i}`)]);
  }
  persistent.close();
});
