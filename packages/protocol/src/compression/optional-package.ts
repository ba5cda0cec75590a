import { createRequire } from 'node:module';
import { CompressionError, CompressionErrorCode } from './errors.ts';

const require = createRequire(import.meta.url);

/**
 * Loads a native codec package that is only an optional dependency (its prebuilt binary may not
 * exist for this platform), turning its absence into UNSUPPORTED_COMPRESSION_TYPE with a message
 * that names what to install. Callers memoize the result, so the lookup happens on first use only.
 */
export function loadOptionalPackage<T>(name: string, codec: string): T {
  try {
    return require(name) as T;
  } catch (err) {
    throw new CompressionError(
      CompressionErrorCode.UNSUPPORTED,
      `${codec} compression needs the optional package '${name}', which could not be loaded (npm install ${name})`,
      { cause: err },
    );
  }
}
