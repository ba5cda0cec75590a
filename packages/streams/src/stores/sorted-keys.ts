/** Keys per chunk at most: a chunk this full splits in two. */
const CHUNK_MAX = 1024;

/**
 * A sorted set of strings (compared by UTF-16 code unit, which for latin1 byte keys is byte order),
 * kept as a list of sorted chunks: a lookup is two binary searches, and an insert or delete moves
 * at most one chunk's keys, so a million keys cost what a thousand do in a flat sorted array.
 */
export class SortedKeys {
  private chunks: string[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Index of the first chunk whose last key is >= key (chunks.length when none is). */
  private chunkFor(key: string): number {
    let low = 0;
    let high = this.chunks.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const chunk = this.chunks[mid];
      if (chunk[chunk.length - 1] < key) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Adds the key; false if it was there. */
  add(key: string): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.count = 1;
      return true;
    }
    // A key past every chunk goes at the end of the last one.
    const c = Math.min(this.chunkFor(key), this.chunks.length - 1);
    const chunk = this.chunks[c];
    const i = lowerBound(chunk, key);
    if (chunk[i] === key) return false;
    chunk.splice(i, 0, key);
    this.count++;
    if (chunk.length > CHUNK_MAX) this.chunks.splice(c + 1, 0, chunk.splice(chunk.length >>> 1));
    return true;
  }

  /** Removes the key; false if it was not there. */
  delete(key: string): boolean {
    const c = this.chunkFor(key);
    const chunk = this.chunks[c];
    if (chunk === undefined) return false;
    const i = lowerBound(chunk, key);
    if (chunk[i] !== key) return false;
    chunk.splice(i, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(c, 1);
    return true;
  }

  clear(): void {
    this.chunks = [];
    this.count = 0;
  }

  /** The smallest key >= `key` (or > it, when `strictly`), or undefined. */
  ceiling(key: string, strictly = false): string | undefined {
    const c = this.chunkFor(key);
    const chunk = this.chunks[c];
    if (chunk === undefined) return undefined;
    let i = lowerBound(chunk, key);
    if (strictly && chunk[i] === key) i++;
    return i < chunk.length ? chunk[i] : this.chunks[c + 1]?.[0];
  }

  /**
   * The keys from `low` (inclusive; the first key when null) while `inRange` holds, in order. Each
   * step looks up the key after the last one, so the set may change while it is iterated.
   */
  *from(low: string | null, inRange: (key: string) => boolean = () => true): Generator<string> {
    let key = low === null ? this.chunks[0]?.[0] : this.ceiling(low);
    while (key !== undefined && inRange(key)) {
      yield key;
      key = this.ceiling(key, true);
    }
  }
}

/** The first index whose key is >= key. */
function lowerBound(keys: string[], key: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (keys[mid] < key) low = mid + 1;
    else high = mid;
  }
  return low;
}
