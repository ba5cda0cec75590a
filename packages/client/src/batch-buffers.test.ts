import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchBuffers } from './batch-buffers.ts';

test('a buffer handed back is taken again for a batch of its size class, and only while under the limit', () => {
  const buffers = new BatchBuffers(16384);
  const first = buffers.take(5000);
  assert.equal(first.length, 8192, 'sizes round up to a power of two');
  buffers.give(first);
  assert.equal(buffers.take(6000), first, 'the same class reuses it');
  assert.notEqual(buffers.take(6000), first, 'taken once, it is not handed out twice');
  const big = buffers.take(20000);
  buffers.give(big);
  assert.notEqual(buffers.take(20000), big, 'a buffer over the limit is not kept');
  assert.equal(buffers.take(1).length, 4096, 'the smallest class');
});
