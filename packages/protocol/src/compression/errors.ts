/** Stable codes for decompression failures, so callers map them to Kafka error codes without parsing messages. */
export const CompressionErrorCode = {
  /** The codec is unknown, or its optional native package is not installed (Kafka's UNSUPPORTED_COMPRESSION_TYPE). */
  UNSUPPORTED: 'UNSUPPORTED_COMPRESSION_TYPE',
  /** The input is not valid data for its codec: truncated, garbled, or wrongly framed. */
  CORRUPT: 'CORRUPT_COMPRESSED_DATA',
  /** The output would exceed the caller's limit (a decompression bomb, or simply an oversized batch). */
  TOO_LARGE: 'DECOMPRESSED_SIZE_LIMIT',
} as const;
export type CompressionErrorCodeName = (typeof CompressionErrorCode)[keyof typeof CompressionErrorCode];

export class CompressionError extends Error {
  readonly code: CompressionErrorCodeName;
  constructor(code: CompressionErrorCodeName, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CompressionError';
    this.code = code;
  }
}

export function corrupt(codec: string, reason: unknown): CompressionError {
  const detail = reason instanceof Error ? reason.message : String(reason);
  return new CompressionError(CompressionErrorCode.CORRUPT, `corrupt ${codec} data: ${detail}`, { cause: reason });
}

export function tooLarge(codec: string, maxOutputBytes: number): CompressionError {
  return new CompressionError(CompressionErrorCode.TOO_LARGE, `${codec} data decompresses to more than ${maxOutputBytes} bytes`);
}

/** Throws TOO_LARGE when `size` bytes of output would break the limit. */
export function checkOutputSize(codec: string, size: number, maxOutputBytes: number): void {
  if (size > maxOutputBytes) throw tooLarge(codec, maxOutputBytes);
}
