import { gunzipSync, gzipSync } from 'node:zlib';
import { inflateBounded } from './zlib-bounded.ts';

/** Kafka codec 1. Default level 6, as Java's GZIPOutputStream. */
export function compressGzip(data: Buffer): Buffer {
  return gzipSync(data);
}

export function decompressGzip(data: Buffer, maxOutputBytes: number): Buffer {
  return inflateBounded('gzip', gunzipSync, data, maxOutputBytes);
}
