import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameReader } from './frame-reader.ts';

function framed(...bodies: Buffer[]): Buffer {
  return Buffer.concat(bodies.flatMap((b) => {
    const size = Buffer.alloc(4);
    size.writeInt32BE(b.length);
    return [size, b];
  }));
}

const bodies = [Buffer.from('first frame'), Buffer.alloc(0), Buffer.alloc(3000, 7), Buffer.from('last')];
const stream = framed(...bodies);

test('frames come out whole whatever the chunking: every single split point', () => {
  for (let split = 0; split <= stream.length; split++) {
    const reader = new FrameReader(1 << 20);
    const out = [reader.push(stream.subarray(0, split)), reader.push(stream.subarray(split))].flatMap((r) => {
      assert.ok(Array.isArray(r));
      return r;
    });
    assert.deepEqual(out.map((b) => b.toString('hex')), bodies.map((b) => b.toString('hex')), `split at ${split}`);
  }
});

test('frames come out whole when fed one byte at a time', () => {
  const reader = new FrameReader(1 << 20);
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) {
    const r = reader.push(stream.subarray(i, i + 1));
    assert.ok(Array.isArray(r));
    out.push(...r);
  }
  assert.equal(out.length, bodies.length);
  assert.ok(out[2].equals(bodies[2]));
});

test('a size over the limit is refused as soon as the 4 size bytes arrive', () => {
  const reader = new FrameReader(100);
  const size = Buffer.alloc(4);
  size.writeInt32BE(101);
  assert.match(String(reader.push(size)), /exceeds the frame limit of \d+ bytes/);
});

test('a negative size is refused', () => {
  const reader = new FrameReader(100);
  assert.equal(typeof reader.push(Buffer.from([0xff, 0xff, 0xff, 0xfe])), 'string');
});
