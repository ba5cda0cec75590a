import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { CompressionError, CompressionErrorCode } from './errors.ts';
import { FLG_INDEPENDENT_BLOCKS, lz4FrameBounds } from './lz4-frame.ts';
import { compressLz4, decompressLz4 } from './lz4.ts';

const MiB = 1024 * 1024;
const lz4napi = createRequire(import.meta.url)('lz4-napi') as {
  compressFrameSync(data: Buffer, options?: { contentChecksum?: boolean; blockChecksums?: boolean }): Buffer;
};

function isCode(code: string) {
  return (err: unknown) => err instanceof CompressionError && err.code === code;
}

test('frames start with the LZ4 frame magic and declare independent blocks (Java rejects dependent ones)', () => {
  for (const data of [Buffer.alloc(0), randomBytes(100), randomBytes(MiB), Buffer.alloc(10 * MiB)]) {
    const frame = compressLz4(data);
    assert.equal(frame.subarray(0, 4).toString('hex'), '04224d18');
    assert.equal(frame[4] & 0xc0, 0x40, 'frame version 01');
    assert.ok(frame[4] & FLG_INDEPENDENT_BLOCKS, `FLG 0x${frame[4].toString(16)} lacks the block-independence bit`);
  }
});

test('the worst-case bound covers the real size and exceeds it by less than one block', () => {
  for (const data of [randomBytes(3 * MiB), Buffer.alloc(9 * MiB), Buffer.from('x'.repeat(70_000))]) {
    const { worstCase, blockMaxSize } = lz4FrameBounds(compressLz4(data));
    assert.ok(worstCase >= data.length && worstCase < data.length + blockMaxSize, `${worstCase} for ${data.length}`);
  }
});

test('frames with block and content checksums decode', () => {
  const data = randomBytes(200_000);
  const frame = lz4napi.compressFrameSync(data, { contentChecksum: true, blockChecksums: true });
  assert.ok(frame[4] & 0x14, 'both checksum flags set');
  assert.ok(decompressLz4(frame, data.length).equals(data));
});

test('what the native decoder would let through is corrupt data here', () => {
  const frame = compressLz4(Buffer.from('hello hello hello hello'));
  const cases: [string, Buffer][] = [
    ['no end mark', frame.subarray(0, frame.length - 4)],
    ['a second frame after the first', Buffer.concat([frame, frame])],
    ['trailing byte', Buffer.concat([frame, Buffer.from([0])])],
    ['raw lz4 block instead of a frame', Buffer.from([0x10, 0x61, 0, 0])],
    ['bad block size id', Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x30, 0x00, 0, 0, 0, 0])],
  ];
  for (const [label, data] of cases) assert.throws(() => decompressLz4(data, MiB), isCode(CompressionErrorCode.CORRUPT), label);
});

test('a bomb is refused from its block sizes alone', () => {
  const bomb = compressLz4(Buffer.alloc(256 * MiB));
  assert.ok(lz4FrameBounds(bomb).worstCase >= 256 * MiB);
  assert.throws(() => decompressLz4(bomb, MiB), isCode(CompressionErrorCode.TOO_LARGE));
});
