/**
 * Buffers for encoded record batches, used again once a batch is acknowledged. A producer encodes
 * every byte it sends into a fresh buffer otherwise, and at hundreds of MB/s those allocations
 * (memory outside the JS heap) make V8 run a full garbage collection every few hundred
 * milliseconds, which costs more than the encoding.
 */
export class BatchBuffers {
  /** Free buffers by size class (a power of two, from MIN_CLASS). */
  private readonly free = new Map<number, Buffer[]>();
  private kept = 0;
  private readonly maxKeptBytes: number;

  constructor(maxKeptBytes: number) {
    this.maxKeptBytes = maxKeptBytes;
  }

  /** A buffer of at least `size` bytes (its whole length is the size class). */
  take(size: number): Buffer {
    const length = sizeClass(size);
    const reused = this.free.get(length)?.pop();
    if (!reused) return Buffer.allocUnsafe(length);
    this.kept -= length;
    return reused;
  }

  /** Hands back a buffer from `take` that nothing reads any more; kept while under the limit. */
  give(buffer: Buffer): void {
    if (this.kept + buffer.length > this.maxKeptBytes) return;
    let list = this.free.get(buffer.length);
    if (!list) this.free.set(buffer.length, (list = []));
    list.push(buffer);
    this.kept += buffer.length;
  }
}

const MIN_CLASS = 4096;

function sizeClass(size: number): number {
  let length = MIN_CLASS;
  while (length < size) length *= 2;
  return length;
}
