import type { CompressionCode } from '../records/batch-layout.ts';
import { CompressionError, CompressionErrorCode } from './errors.ts';
import { compressGzip, decompressGzip } from './gzip.ts';
import { compressLz4, decompressLz4 } from './lz4.ts';
import { compressSnappy, decompressSnappy } from './snappy.ts';
import { compressZstd, decompressZstd } from './zstd.ts';

export { CompressionError, CompressionErrorCode, type CompressionErrorCodeName } from './errors.ts';

/** The record-batch attribute bits 0-2 can hold 5-7, which no Kafka version assigns. */
function unsupported(codec: number): CompressionError {
  return new CompressionError(CompressionErrorCode.UNSUPPORTED, `unknown compression codec ${codec}`);
}

/** Compresses the records section of a RecordBatch with Kafka codec `codec` (0 returns `data` itself). */
export function compress(codec: CompressionCode, data: Buffer): Buffer {
  switch (codec) {
    case 0:
      return data;
    case 1:
      return compressGzip(data);
    case 2:
      return compressSnappy(data);
    case 3:
      return compressLz4(data);
    case 4:
      return compressZstd(data);
    default:
      throw unsupported(codec);
  }
}

/**
 * Decompresses a records section. Throws CompressionError: DECOMPRESSED_SIZE_LIMIT when the output
 * would exceed `maxOutputBytes` (checked before or while inflating, never after allocating it all),
 * CORRUPT_COMPRESSED_DATA for invalid input, UNSUPPORTED_COMPRESSION_TYPE for an unknown codec or a
 * missing optional package.
 */
export function decompress(codec: CompressionCode, data: Buffer, maxOutputBytes: number): Buffer {
  if (!Number.isSafeInteger(maxOutputBytes) || maxOutputBytes < 0) throw new RangeError(`invalid maxOutputBytes ${maxOutputBytes}`);
  switch (codec) {
    case 0:
      if (data.length > maxOutputBytes) throw new CompressionError(CompressionErrorCode.TOO_LARGE, `${data.length} bytes exceed the ${maxOutputBytes}-byte limit`);
      return data;
    case 1:
      return decompressGzip(data, maxOutputBytes);
    case 2:
      return decompressSnappy(data, maxOutputBytes);
    case 3:
      return decompressLz4(data, maxOutputBytes);
    case 4:
      return decompressZstd(data, maxOutputBytes);
    default:
      throw unsupported(codec);
  }
}
