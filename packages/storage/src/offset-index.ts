/**
 * A sparse index kept in memory and appended to its file: entries of (key, value) pairs, keys
 * ascending. The offset index maps relative offset -> file position (int32, int32: Kafka's .index
 * layout); the time index maps timestamp -> relative offset (int64, int32: Kafka's .timeindex).
 */
export class SparseIndex {
  private keys: number[] = [];
  private values: number[] = [];
  /** Encoded entries not yet written to the index file. */
  private unwritten: Buffer[] = [];
  readonly entrySize: number;
  private readonly encode: (key: number, value: number) => Buffer;

  constructor(kind: 'offset' | 'time') {
    this.entrySize = kind === 'offset' ? 8 : 12;
    this.encode =
      kind === 'offset'
        ? (key, value) => {
            const b = Buffer.allocUnsafe(8);
            b.writeInt32BE(key, 0);
            b.writeInt32BE(value, 4);
            return b;
          }
        : (key, value) => {
            const b = Buffer.allocUnsafe(12);
            b.writeBigInt64BE(BigInt(key), 0);
            b.writeInt32BE(value, 8);
            return b;
          };
  }

  get length(): number {
    return this.keys.length;
  }

  lastKey(): number {
    return this.keys.length === 0 ? -Infinity : this.keys[this.keys.length - 1];
  }

  add(key: number, value: number): void {
    this.keys.push(key);
    this.values.push(value);
    this.unwritten.push(this.encode(key, value));
  }

  /** The value of the last entry whose key is <= `key`, or `fallback` if there is none. */
  floor(key: number, fallback: number): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid] <= key) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? fallback : this.values[found];
  }

  /** The entry whose key is the largest < `key` (where a scan for keys >= `key` should start), as [key, value]. */
  before(key: number): [number, number] | null {
    let lo = 0;
    let hi = this.keys.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid] < key) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? null : [this.keys[found], this.values[found]];
  }

  takeUnwritten(): Buffer[] {
    const out = this.unwritten;
    this.unwritten = [];
    return out;
  }

  /** Loads entries from an index file's bytes; returns false (and loads nothing) if they are not well formed. */
  load(bytes: Buffer, isValid: (key: number, value: number) => boolean): boolean {
    if (bytes.length % this.entrySize !== 0) return false;
    const keys: number[] = [];
    const values: number[] = [];
    for (let at = 0; at < bytes.length; at += this.entrySize) {
      const key = this.entrySize === 8 ? bytes.readInt32BE(at) : Number(bytes.readBigInt64BE(at));
      const value = bytes.readInt32BE(at + this.entrySize - 4);
      if ((keys.length > 0 && key <= keys[keys.length - 1]) || !isValid(key, value)) return false;
      keys.push(key);
      values.push(value);
    }
    this.keys = keys;
    this.values = values;
    return true;
  }
}
