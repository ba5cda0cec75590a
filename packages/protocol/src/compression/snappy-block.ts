import { checkOutputSize, corrupt } from './errors.ts';
import { loadOptionalPackage } from './optional-package.ts';

/** The part of the `snappy` package used here (typed locally: the package is optional). */
interface SnappyPackage {
  compressSync(input: Uint8Array): Buffer;
  uncompressSync(input: Uint8Array, options: { asBuffer: true }): Buffer | string;
}

let snappyPackage: SnappyPackage | undefined;
function snappy(): SnappyPackage {
  return (snappyPackage ??= loadOptionalPackage<SnappyPackage>('snappy', 'snappy'));
}

/** One raw snappy block: a varint of the uncompressed length, then the compressed elements. */
export function compressSnappyBlock(data: Uint8Array): Buffer {
  return snappy().compressSync(data);
}

/**
 * The uncompressed length a raw block declares in its preamble (an unsigned varint of at most
 * 32 bits), read so that the limit is enforced before the native code allocates that much.
 */
function declaredLength(block: Uint8Array): number {
  let length = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    length += (block[i] & 0x7f) * 2 ** (7 * i);
    if ((block[i] & 0x80) === 0) return length;
  }
  throw corrupt('snappy', 'bad length preamble');
}

/** Decompresses one raw block whose declared length must fit in `maxOutputBytes`. */
export function decompressSnappyBlock(block: Uint8Array, maxOutputBytes: number): Buffer {
  checkOutputSize('snappy', declaredLength(block), maxOutputBytes);
  const lib = snappy();
  let out: Buffer | string;
  try {
    out = lib.uncompressSync(block, { asBuffer: true });
  } catch (err) {
    throw corrupt('snappy', err);
  }
  return out as Buffer;
}
