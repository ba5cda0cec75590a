import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { CompressionError, CompressionErrorCode } from './errors.ts';
import { compressSnappyBlock } from './snappy-block.ts';
import { compressSnappy, decompressSnappy } from './snappy.ts';

const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

function isCode(code: string) {
  return (err: unknown) => err instanceof CompressionError && err.code === code;
}

/** Builds xerial framing independently of the encoder under test. */
function xerial(chunks: Buffer[]): Buffer {
  const header = Buffer.alloc(16);
  MAGIC.copy(header);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  const parts: Buffer[] = [header];
  for (const chunk of chunks) {
    const block = compressSnappyBlock(chunk);
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

test('encoding writes the xerial header (version 1, compatible 1) and 32 KiB chunks', () => {
  const data = randomBytes(100_000);
  const framed = compressSnappy(data);
  assert.ok(framed.subarray(0, 8).equals(MAGIC));
  assert.equal(framed.readInt32BE(8), 1);
  assert.equal(framed.readInt32BE(12), 1);
  let chunks = 0;
  for (let at = 16; at < framed.length; chunks++) at += 4 + framed.readInt32BE(at);
  assert.equal(chunks, Math.ceil(100_000 / 32768));
  assert.ok(decompressSnappy(framed, data.length).equals(data));
});

test('xerial framing built by hand decodes, chunks of any size in any number', () => {
  const chunks = [randomBytes(10), Buffer.alloc(70_000, 'a'), Buffer.from('tail')];
  assert.ok(decompressSnappy(xerial(chunks), 1 << 20).equals(Buffer.concat(chunks)));
  assert.equal(decompressSnappy(xerial([]), 0).length, 0, 'a header with no chunks is empty data');
});

test('a raw snappy block (librdkafka may send one) decodes too', () => {
  for (const data of [Buffer.alloc(0), randomBytes(5000), Buffer.alloc(200_000, 'x')]) {
    assert.ok(decompressSnappy(compressSnappyBlock(data), data.length).equals(data));
  }
});

test('the limit counts across xerial chunks', () => {
  const framed = xerial([Buffer.alloc(600), Buffer.alloc(600)]);
  assert.equal(decompressSnappy(framed, 1200).length, 1200);
  assert.throws(() => decompressSnappy(framed, 1199), isCode(CompressionErrorCode.TOO_LARGE));
});

test('a block declaring 4 GiB of output is refused from its preamble, before decompressing', () => {
  const liar = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
  assert.throws(() => decompressSnappy(liar, 1 << 20), isCode(CompressionErrorCode.TOO_LARGE));
});

test('broken framing is corrupt data', () => {
  const good = xerial([Buffer.alloc(100, 1)]);
  const cases: [string, Buffer][] = [
    ['magic only', MAGIC],
    ['cut chunk length', good.subarray(0, 18)],
    ['chunk overruns the input', good.subarray(0, good.length - 1)],
    ['negative chunk length', Buffer.concat([good.subarray(0, 16), Buffer.from([0xff, 0xff, 0xff, 0xff])])],
    ['unterminated raw preamble', Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80])],
    ['raw block shorter than declared', compressSnappyBlock(Buffer.alloc(100, 7)).subarray(0, 3)],
  ];
  for (const [label, data] of cases) assert.throws(() => decompressSnappy(data, 1 << 20), isCode(CompressionErrorCode.CORRUPT), label);
});
