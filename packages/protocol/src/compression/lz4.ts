import { checkOutputSize, corrupt, tooLarge } from './errors.ts';
import { lz4FrameBounds } from './lz4-frame.ts';
import { loadOptionalPackage } from './optional-package.ts';

/** The part of the `lz4-napi` package used here (typed locally: the package is optional). */
interface Lz4Package {
  compressFrameSync(data: Buffer): Buffer;
  decompressFrameSync(data: Buffer): Buffer;
}

let lz4Package: Lz4Package | undefined;
function lz4(): Lz4Package {
  return (lz4Package ??= loadOptionalPackage<Lz4Package>('lz4-napi', 'lz4'));
}

/**
 * Kafka codec 3: one LZ4 frame. lz4-napi writes independent blocks without checksums, which the
 * Java client requires (its frame test pins this). Its compressSync is a size-prefixed raw block,
 * not a frame, so it must not be used for Kafka.
 */
export function compressLz4(data: Buffer): Buffer {
  return lz4().compressFrameSync(data);
}

/**
 * The native decoder has no output limit, so the frame's block sizes bound the output first. All
 * blocks but the last are full in frames real encoders write, so the worst case exceeds the true
 * size by at most one block: refuse beyond that, then check the exact size.
 */
export function decompressLz4(frame: Buffer, maxOutputBytes: number): Buffer {
  const { worstCase, blockMaxSize } = lz4FrameBounds(frame);
  if (worstCase > maxOutputBytes + blockMaxSize) throw tooLarge('lz4', maxOutputBytes);
  const lib = lz4();
  let out: Buffer;
  try {
    out = lib.decompressFrameSync(frame);
  } catch (err) {
    throw corrupt('lz4', err);
  }
  checkOutputSize('lz4', out.length, maxOutputBytes);
  return out;
}
