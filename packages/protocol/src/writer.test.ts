import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Writer } from './writer.ts';

type Step = { kind: 'int32'; v: number } | { kind: 'string'; v: string } | { kind: 'raw'; v: Uint8Array };

function write(w: Writer, steps: Step[]): void {
  for (const s of steps) {
    if (s.kind === 'int32') w.int32(s.v);
    else if (s.kind === 'string') w.compactString(s.v);
    else w.compactBytes(s.v);
  }
}

const steps = fc.array(fc.oneof(
  fc.record({ kind: fc.constant('int32' as const), v: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
  fc.record({ kind: fc.constant('string' as const), v: fc.string({ maxLength: 40 }) }),
  fc.record({ kind: fc.constant('raw' as const), v: fc.uint8Array({ maxLength: 300 }) }),
), { maxLength: 40 });

test('a writer that keeps large byte strings by reference produces the same bytes as one that copies them', () => {
  fc.assert(fc.property(steps, fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 64 }), (plan, referenceFrom, initialSize) => {
    const copying = new Writer(initialSize);
    const referencing = new Writer(initialSize, referenceFrom);
    write(copying, plan);
    write(referencing, plan);
    const expected = copying.finish();
    assert.equal(referencing.length, expected.length);
    assert.deepEqual(Buffer.concat(referencing.finishChunks()), expected);
    assert.deepEqual(referencing.finish(), expected);
  }));
});

test('referenced bytes are not copied: the chunk is the caller\'s own memory', () => {
  const records = Buffer.alloc(1000, 7);
  const w = new Writer(16, 100);
  w.int32(0);
  w.compactBytes(records);
  w.int16(5);
  const chunks = w.finishChunks();
  assert.equal(chunks.length, 3);
  assert.equal(chunks[1].buffer, records.buffer);
  assert.equal(chunks[1].byteOffset, records.byteOffset);
  // The size prefix can be patched in place through the first chunk.
  chunks[0].writeInt32BE(w.length - 4, 0);
  assert.equal(Buffer.concat(chunks).readInt32BE(0), 4 + 2 + 1000 + 2 - 4);
});
