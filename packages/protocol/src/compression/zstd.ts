import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { inflateBounded } from './zlib-bounded.ts';

/** Kafka codec 4. Built into node:zlib since Node 22.15; default level 3, as the Java client. */
export function compressZstd(data: Buffer): Buffer {
  return zstdCompressSync(data);
}

export function decompressZstd(data: Buffer, maxOutputBytes: number): Buffer {
  return inflateBounded('zstd', zstdDecompressSync, data, maxOutputBytes);
}
