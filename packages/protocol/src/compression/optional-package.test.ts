import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompressionError, CompressionErrorCode } from './errors.ts';
import { loadOptionalPackage } from './optional-package.ts';

test('a missing optional codec package is UNSUPPORTED_COMPRESSION_TYPE naming what to install', () => {
  assert.throws(
    () => loadOptionalPackage('@millrace/no-such-codec', 'imaginary'),
    (err: unknown) =>
      err instanceof CompressionError &&
      err.code === CompressionErrorCode.UNSUPPORTED &&
      err.message.includes('imaginary') &&
      err.message.includes('npm install @millrace/no-such-codec'),
  );
});

test('installed packages load', () => {
  assert.equal(typeof loadOptionalPackage<{ compressSync: unknown }>('snappy', 'snappy').compressSync, 'function');
  assert.equal(typeof loadOptionalPackage<{ compressFrameSync: unknown }>('lz4-napi', 'lz4').compressFrameSync, 'function');
});
