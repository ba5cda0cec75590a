import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { crc32c, crc32cPortable } from './crc32c.ts';

test('the CRC-32C check value', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32cPortable(Buffer.from('123456789')), 0xe3069283);
});

test('native and portable implementations agree, also when continued from a previous value', () => {
  for (let i = 0; i < 50; i++) {
    const data = randomBytes(i * 37);
    assert.equal(crc32c(data), crc32cPortable(data));
    const split = Math.floor(data.length / 2);
    assert.equal(crc32c(data.subarray(split), crc32c(data.subarray(0, split))), crc32c(data));
  }
});
