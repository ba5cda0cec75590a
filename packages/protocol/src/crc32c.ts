import { createRequire } from 'node:module';

/** CRC-32C (Castagnoli), the checksum of RecordBatch v2. */
export type Crc32c = (data: Uint8Array, initial?: number) => number;

const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** Table-driven fallback for platforms without the native package (about 100x slower). */
export const crc32cPortable: Crc32c = (data, initial = 0) => {
  let crc = ~initial;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
};

function loadNative(): Crc32c | null {
  try {
    const native = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: (d: Uint8Array, i?: number) => number };
    return (data, initial = 0) => native.crc32c(data, initial) >>> 0;
  } catch {
    return null;
  }
}

/** The native implementation (SSE4.2/ARMv8 instructions) when @node-rs/crc32 is installed, else the portable one. */
export const crc32c: Crc32c = loadNative() ?? crc32cPortable;
