import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Reader } from './reader.ts';

test('reads past the end, or of a negative length, fail and never move backwards', () => {
  const r = new Reader(Buffer.from([0, 0, 0, 1, 2]));
  assert.equal(r.int32(), 1);
  assert.equal(r.sub(-3).remaining(), 0);
  assert.ok(r.failed);
  assert.equal(r.pos, r.end);
  assert.throws(() => r.complete('test'), /malformed test/);
});

test('an array count larger than the bytes left fails before anything is allocated', () => {
  const r = new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
  assert.equal(r.arrayLength(), 0);
  assert.ok(r.failed);
});
