import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Reader } from './reader.ts';
import { Writer } from './writer.ts';

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

test('varlongNumber reads what varlong reads, as a number, for every 64-bit value; uvarint reads every 32-bit one', () => {
  fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.integer({ min: 0, max: 0xffffffff }), (v, u) => {
    const w = new Writer();
    w.varlong(v);
    w.varlong(v);
    w.uvarint(u);
    const r = new Reader(w.finish());
    assert.equal(r.varlongNumber(), Number(r.varlong()));
    assert.equal(r.uvarint(), u);
    assert.equal(r.remaining(), 0);
  }));
});
