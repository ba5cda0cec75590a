import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FrameAssembler } from './frame-assembler.ts';

/** Feeds `bytes` to the assembler as a socket would: reads of at most `sizes[i]` bytes into the buffers it hands out. */
function feed(assembler: FrameAssembler, bytes: Buffer, sizes: number[]): Buffer[] {
  const frames: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const into = assembler.nextBuffer();
    const n = Math.min(into.length, bytes.length - at, sizes[i % sizes.length]);
    bytes.copy(into, 0, at, at + n);
    at += n;
    frames.push(...assembler.received(n));
  }
  return frames;
}

/** Each body behind its int32 size, as a broker writes its answers. */
function framed(bodies: Buffer[]): Buffer {
  return Buffer.concat(bodies.flatMap((body) => {
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length, 0);
    return [size, body];
  }));
}

test('frames of any size come out whole and in order, however the bytes are split into reads', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 5000 }).map((n) => new Uint8Array(n).map((_, i) => i * 7))), { maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 8 }),
      (bodies, sizes) => {
        const expected = bodies.map((b) => Buffer.from(b));
        const frames = feed(new FrameAssembler(1024), framed(expected), sizes);
        assert.deepEqual(frames, expected);
      },
    ),
  );
});

test('most of a large frame is read straight into the frame\'s own buffer', () => {
  const assembler = new FrameAssembler(1024);
  const scratch = assembler.nextBuffer().buffer;
  const body = Buffer.alloc(100_000, 9);
  const bytes = framed([body]);
  const frames: Buffer[] = [];
  let inPlace = 0;
  for (let at = 0; at < bytes.length;) {
    const into = assembler.nextBuffer();
    const n = Math.min(into.length, bytes.length - at, 4096);
    bytes.copy(into, 0, at, at + n);
    at += n;
    if (into.buffer !== scratch) inPlace += n;
    frames.push(...assembler.received(n));
  }
  assert.deepEqual(frames, [body]);
  assert.ok(inPlace >= body.length - 2048, `${inPlace} of ${body.length} bytes read in place`);
});
