import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { CompressionCode } from '../records/batch-layout.ts';
import { compress, CompressionError, CompressionErrorCode, decompress } from './index.ts';

const CODECS = [
  { codec: 0, name: 'none' },
  { codec: 1, name: 'gzip' },
  { codec: 2, name: 'snappy' },
  { codec: 3, name: 'lz4' },
  { codec: 4, name: 'zstd' },
] as const satisfies readonly { codec: CompressionCode; name: string }[];
const COMPRESSED = CODECS.filter((c) => c.codec !== 0);
const MiB = 1024 * 1024;

function isCode(code: string) {
  return (err: unknown) => err instanceof CompressionError && err.code === code;
}

function textLike(size: number): Buffer {
  const words = ['offset', 'partition', 'leader', 'epoch', 'record', 'batch', 'the', 'of', '{"id":', '}\n'];
  const parts: string[] = [];
  for (let n = 0; n < size; n += 8) parts.push(words[(n * 7919) % words.length]);
  return Buffer.from(parts.join(' ')).subarray(0, size);
}

const INPUTS: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['one byte', Buffer.from([0x82])],
  ['random 1000 bytes', randomBytes(1000)],
  ['random 1 MiB', randomBytes(MiB)],
  ['text-like 1 MiB', textLike(MiB)],
  ['zeros 5 MiB (several lz4 blocks and xerial chunks)', Buffer.alloc(5 * MiB)],
];

for (const { codec, name } of CODECS) {
  test(`${name}: round-trips empty, small, random and compressible data`, () => {
    for (const [label, data] of INPUTS) {
      const packed = compress(codec, data);
      const out = decompress(codec, packed, data.length);
      assert.ok(out.equals(data), `${name} ${label}`);
    }
  });
}

for (const { codec, name } of COMPRESSED) {
  test(`${name}: compresses compressible data`, () => {
    assert.ok(compress(codec, textLike(MiB)).length < MiB / 2);
  });

  test(`${name}: output over the limit is refused with ${CompressionErrorCode.TOO_LARGE}`, () => {
    const data = textLike(300_000);
    const packed = compress(codec, data);
    assert.equal(decompress(codec, packed, data.length).length, data.length, 'a limit equal to the size passes');
    assert.throws(() => decompress(codec, packed, data.length - 1), isCode(CompressionErrorCode.TOO_LARGE));
    assert.throws(() => decompress(codec, packed, 0), isCode(CompressionErrorCode.TOO_LARGE));
  });

  test(`${name}: a 64 MiB bomb is refused under a 1 MiB limit`, () => {
    const bomb = compress(codec, Buffer.alloc(64 * MiB));
    assert.ok(bomb.length < 4 * MiB, `${name} bomb is ${bomb.length} bytes`);
    assert.throws(() => decompress(codec, bomb, MiB), isCode(CompressionErrorCode.TOO_LARGE));
  });

  test(`${name}: garbage and truncated input throw ${CompressionErrorCode.CORRUPT}`, () => {
    const packed = compress(codec, textLike(100_000));
    const bad = [Buffer.from('definitely not compressed data'), packed.subarray(0, packed.length >> 1), packed.subarray(0, packed.length - 1)];
    for (const data of bad) assert.throws(() => decompress(codec, data, MiB), isCode(CompressionErrorCode.CORRUPT), `${name}: ${data.length} bytes`);
  });
}

test(`none: the limit applies to uncompressed data as well`, () => {
  assert.throws(() => decompress(0, Buffer.alloc(10), 9), isCode(CompressionErrorCode.TOO_LARGE));
});

test(`codecs 5-7, which the attribute bits can hold, are ${CompressionErrorCode.UNSUPPORTED}`, () => {
  for (const codec of [5, 6, 7]) {
    assert.throws(() => decompress(codec as CompressionCode, Buffer.alloc(1), 10), isCode(CompressionErrorCode.UNSUPPORTED));
    assert.throws(() => compress(codec as CompressionCode, Buffer.alloc(1)), isCode(CompressionErrorCode.UNSUPPORTED));
  }
});

test('a limit that is not a non-negative integer is a programming error', () => {
  for (const limit of [-1, 1.5, NaN, Infinity]) assert.throws(() => decompress(1, compress(1, Buffer.alloc(1)), limit), RangeError);
});
