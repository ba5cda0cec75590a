import { corrupt } from './errors.ts';
import { compressSnappyBlock, decompressSnappyBlock } from './snappy-block.ts';

/**
 * Kafka codec 2. The Java client writes snappy-java's "xerial" framing: this 8-byte magic, int32
 * version and int32 compatible-version (both 1), then [int32 length][raw snappy block] chunks.
 * librdkafka and others may write a bare raw block, so decoding accepts both, told apart by the
 * magic. Encoding writes xerial, which every Kafka client reads.
 */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_VERSION = 1;
/** snappy-java's default chunk size: bounds each block and the memory a reader needs for it. */
const XERIAL_CHUNK_SIZE = 32 * 1024;

export function compressSnappy(data: Buffer): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(XERIAL_VERSION, 8);
  header.writeInt32BE(XERIAL_VERSION, 12);
  const parts: Buffer[] = [header];
  for (let at = 0; at < data.length; at += XERIAL_CHUNK_SIZE) {
    const block = compressSnappyBlock(data.subarray(at, at + XERIAL_CHUNK_SIZE));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

function isXerial(data: Buffer): boolean {
  return data.length >= XERIAL_MAGIC.length && XERIAL_MAGIC.equals(data.subarray(0, XERIAL_MAGIC.length));
}

export function decompressSnappy(data: Buffer, maxOutputBytes: number): Buffer {
  if (!isXerial(data)) return decompressSnappyBlock(data, maxOutputBytes);
  if (data.length < XERIAL_HEADER_SIZE) throw corrupt('snappy', 'truncated xerial header');
  const chunks: Buffer[] = [];
  let produced = 0;
  for (let at = XERIAL_HEADER_SIZE; at < data.length; ) {
    if (data.length - at < 4) throw corrupt('snappy', `truncated xerial chunk length at ${at}`);
    const length = data.readInt32BE(at);
    at += 4;
    if (length < 0 || length > data.length - at) throw corrupt('snappy', `xerial chunk of ${length} bytes at ${at} overruns the input`);
    const chunk = decompressSnappyBlock(data.subarray(at, at + length), maxOutputBytes - produced);
    chunks.push(chunk);
    produced += chunk.length;
    at += length;
  }
  return Buffer.concat(chunks, produced);
}
