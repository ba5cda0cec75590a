// Heap taken by a million keys in the in-memory key-value store, as an aggregation keeps them
// (string key, count with its timestamp), measured after a forced GC; then the same keys in a
// persistent store: its file's bytes per key once committed, and the heap it holds. Run with --expose-gc.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryKeyValueStore, type KeyValueStore, PersistentKeyValueStore, Serdes } from '../packages/streams/src/index.ts';

const KEYS = 1_000_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

type Count = { value: number; timestamp: number };

/** Fills a store with the million keys; the heap it grew by, after a forced GC. */
function fill(store: KeyValueStore<string, Count>): number {
  gc!();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < KEYS; i++) store.put(`key-${String(i).padStart(8, '0')}`, { value: i, timestamp: 1_700_000_000_000 + i });
  store.commit(KEYS);
  gc!();
  return (process.memoryUsage().heapUsed - before) / KEYS;
}

const memory = new InMemoryKeyValueStore<string, Count>('counts', Serdes.string(), Serdes.json());
const bytesPerKey = fill(memory);
const keys = memory.approximateNumEntries();
memory.close();

const directory = mkdtempSync(join(tmpdir(), 'streams-memory-'));
try {
  const persistent = new PersistentKeyValueStore<string, Count>('counts', Serdes.string(), Serdes.json());
  persistent.init({ taskId: '0_0', partition: 0, directory, log: () => undefined });
  const persistentHeapBytesPerKey = fill(persistent);
  persistent.close();
  const diskBytesPerKey = statSync(join(directory, 'counts.sqlite')).size / KEYS;
  // What the data is: 12-character keys and two 8-byte numbers.
  console.log(JSON.stringify({ keys, bytesPerKey, dataBytesPerKey: 12 + 16, persistentHeapBytesPerKey, diskBytesPerKey }));
} finally {
  rmSync(directory, { recursive: true, force: true });
}
