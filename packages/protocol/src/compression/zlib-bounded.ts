import { checkOutputSize, corrupt, tooLarge } from './errors.ts';

type ZlibInflate = (data: Buffer, options: { maxOutputLength: number }) => Buffer;

/**
 * Runs a node:zlib one-shot decompressor with its maxOutputLength, which stops inflating at the
 * limit instead of allocating whatever the input claims, and maps its errors to CompressionError.
 */
export function inflateBounded(codec: string, inflate: ZlibInflate, data: Buffer, maxOutputBytes: number): Buffer {
  let out: Buffer;
  try {
    // zlib rejects a limit of 0; the exact check below still enforces it.
    out = inflate(data, { maxOutputLength: Math.max(1, maxOutputBytes) });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(codec, maxOutputBytes);
    throw corrupt(codec, err);
  }
  checkOutputSize(codec, out.length, maxOutputBytes);
  return out;
}
