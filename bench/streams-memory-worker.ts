// Heap taken by a million keys in the in-memory key-value store, as an aggregation keeps them
// (string key, count with its timestamp), measured after a forced GC. Run with --expose-gc.
import { InMemoryKeyValueStore, Serdes } from '../packages/streams/src/index.ts';

const KEYS = 1_000_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const store = new InMemoryKeyValueStore<string, { value: number; timestamp: number }>('counts', Serdes.string(), Serdes.json());
gc();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < KEYS; i++) store.put(`key-${String(i).padStart(8, '0')}`, { value: i, timestamp: 1_700_000_000_000 + i });
gc();
const after = process.memoryUsage().heapUsed;
// What the data is: 12-character keys and two 8-byte numbers.
console.log(JSON.stringify({ keys: store.approximateNumEntries(), bytesPerKey: (after - before) / KEYS, dataBytesPerKey: 12 + 16 }));
