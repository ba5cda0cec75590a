import { corrupt } from './errors.ts';

/**
 * LZ4 frame format (the one Kafka uses for codec 3): magic 04 22 4D 18, FLG, BD, optional 8-byte
 * content size and 4-byte dictionary id, a header checksum byte, then blocks of
 * [uint32 LE size, high bit = stored uncompressed][data][optional 4-byte checksum], ended by a
 * zero size and an optional 4-byte content checksum.
 */
const MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_1 = 0x40;
/** Blocks do not reference earlier blocks; Java's reader refuses frames without it. */
export const FLG_INDEPENDENT_BLOCKS = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICTIONARY_ID = 0x01;
const BLOCK_UNCOMPRESSED = 0x80000000;
/** An LZ4 sequence cannot expand more than 255-fold: each extra output of 255 bytes costs one input byte. */
const MAX_EXPANSION = 255;

export interface Lz4FrameBounds {
  /** The most bytes the frame can decompress to, from its block sizes alone. */
  worstCase: number;
  /** The frame's maximum block size (64 KiB to 4 MiB). */
  blockMaxSize: number;
}

/**
 * Walks the frame's structure without decompressing, checking that it is one complete frame with
 * nothing after it (the native decoder silently ignores a missing end mark and trailing bytes).
 */
export function lz4FrameBounds(frame: Buffer): Lz4FrameBounds {
  const fail = (reason: string) => corrupt('lz4', reason);
  if (frame.length < 7 || frame.readUInt32LE(0) !== MAGIC) throw fail('not an LZ4 frame');
  const flg = frame[4];
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_1) throw fail(`unsupported frame version in FLG 0x${flg.toString(16)}`);
  const blockSizeId = (frame[5] >> 4) & 0x07;
  if (blockSizeId < 4) throw fail(`invalid block size id ${blockSizeId}`);
  const blockMaxSize = 1 << (2 * blockSizeId + 8);
  let at = 6 + (flg & FLG_CONTENT_SIZE ? 8 : 0) + (flg & FLG_DICTIONARY_ID ? 4 : 0) + 1;
  const blockTrailer = flg & FLG_BLOCK_CHECKSUM ? 4 : 0;
  let worstCase = 0;
  for (;;) {
    if (frame.length - at < 4) throw fail('truncated frame: no end mark');
    const word = frame.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    const size = word & ~BLOCK_UNCOMPRESSED;
    if (size > blockMaxSize) throw fail(`block of ${size} bytes exceeds the frame's ${blockMaxSize}-byte maximum`);
    if (size + blockTrailer > frame.length - at) throw fail(`truncated block at ${at - 4}`);
    worstCase += word & BLOCK_UNCOMPRESSED ? size : Math.min(blockMaxSize, size * MAX_EXPANSION);
    at += size + blockTrailer;
  }
  if (flg & FLG_CONTENT_CHECKSUM) at += 4;
  if (at !== frame.length) throw fail(at > frame.length ? 'truncated content checksum' : `${frame.length - at} bytes after the frame`);
  return { worstCase, blockMaxSize };
}
