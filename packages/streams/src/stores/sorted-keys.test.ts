import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SortedKeys } from './sorted-keys.ts';

/** A reproducible stream of numbers below n (MINSTD). */
function random(seed: number): (n: number) => number {
  return (n) => (seed = (seed * 48271) % 2147483647) % n;
}

test('holds the same keys in the same order as a sorted array, through many chunk splits and removals', () => {
  const keys = new SortedKeys();
  const reference = new Set<string>();
  const next = random(11);
  for (let i = 0; i < 30_000; i++) {
    // Latin1 keys of 0 to 3 characters over a small alphabet: many repeats, many neighbours.
    const key = String.fromCharCode(...Array.from({ length: next(4) }, () => [0, 0x41, 0x61, 0xe9, 0xff][next(5)] + next(3)));
    if (next(3) === 0) assert.equal(keys.delete(key), reference.delete(key), `delete ${JSON.stringify(key)}`);
    else {
      assert.equal(keys.add(key), !reference.has(key), `add ${JSON.stringify(key)}`);
      reference.add(key);
    }
  }
  // Then a run of ascending keys, the common case of timestamp-ordered keys.
  for (let i = 0; i < 5000; i++) {
    const key = `\u00ff${String(i).padStart(6, '0')}`;
    keys.add(key);
    reference.add(key);
  }
  const sorted = [...reference].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  assert.equal(keys.size, sorted.length);
  assert.deepEqual([...keys.from(null)], sorted);
  for (const probe of ['', 'A', 'a\u0001', '\u00e9', '\u00ff000100', '\u0100']) {
    const from = sorted.findIndex((k) => k >= probe);
    assert.deepEqual([...keys.from(probe, (k) => k < `${probe}\u00ff`)], sorted.slice(from === -1 ? sorted.length : from).filter((k) => k < `${probe}\u00ff`), `from ${JSON.stringify(probe)}`);
    assert.equal(keys.ceiling(probe), from === -1 ? undefined : sorted[from]);
  }
});

test('iteration goes on from the last key given when keys are removed or added meanwhile', () => {
  const keys = new SortedKeys();
  for (let i = 0; i < 3000; i++) keys.add(String(i).padStart(4, '0'));
  const seen: string[] = [];
  for (const key of keys.from(null)) {
    seen.push(key);
    keys.delete(key);
    // A key added behind the iteration is not visited; one ahead of it is.
    if (key === '0100') keys.add('0000x');
    if (key === '0200') keys.add('2999x');
  }
  assert.equal(seen.length, 3001);
  assert.equal(seen.at(-1), '2999x');
  assert.deepEqual([...keys.from(null)], ['0000x']);
  keys.delete('0000x');
  assert.equal(keys.size, 0);
  assert.equal(keys.ceiling(''), undefined);
  assert.equal(keys.delete('missing'), false);
});
