/**
 * Appends Kafka primitives to a growable buffer (doubling). `finish()` returns a view of the bytes
 * written; the writer must not be reused after that.
 *
 * A writer made with `referenceFrom` keeps raw byte strings at least that long by reference instead
 * of copying them (the records of a Fetch answer or a Produce request): `finishChunks()` hands the
 * frame out as a list to write with writev, so those bytes are never copied.
 */
export class Writer {
  buf: Buffer;
  pos = 0;
  /** Where the bytes not yet handed to `chunks` start in `buf`. */
  private start = 0;
  private readonly chunks: Buffer[] = [];
  private chunkBytes = 0;
  private readonly referenceFrom: number;

  constructor(initialSize = 256, referenceFrom = Infinity) {
    this.buf = Buffer.allocUnsafe(initialSize);
    this.referenceFrom = referenceFrom;
  }

  /** A writer that starts in `buffer` (the caller's, for bytes it will use again). */
  static into(buffer: Buffer): Writer {
    const w = new Writer(0);
    w.buf = buffer;
    return w;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Only the bytes since `start` move: earlier ones are already referenced by `chunks`.
    const used = this.pos - this.start;
    let size = Math.max(this.buf.length * 2, 256);
    while (size < used + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = used;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.chunkBytes + this.pos - this.start;
  }

  finish(): Buffer {
    if (this.chunks.length === 0) return this.buf.subarray(this.start, this.pos);
    return Buffer.concat(this.finishChunks(), this.length);
  }

  /** The bytes written, as the pieces they are held in (large raw byte strings by reference). */
  finishChunks(): Buffer[] {
    if (this.pos > this.start) return [...this.chunks, this.buf.subarray(this.start, this.pos)];
    return [...this.chunks];
  }

  int8(v: number): void {
    this.ensure(1);
    this.pos = this.buf.writeInt8(v, this.pos);
  }
  int16(v: number): void {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(v, this.pos);
  }
  uint16(v: number): void {
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(v, this.pos);
  }
  int32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(v, this.pos);
  }
  uint32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(v, this.pos);
  }
  int64(v: bigint): void {
    this.ensure(8);
    this.pos = this.buf.writeBigInt64BE(v, this.pos);
  }
  float64(v: number): void {
    this.ensure(8);
    this.pos = this.buf.writeDoubleBE(v, this.pos);
  }
  bool(v: boolean): void {
    this.int8(v ? 1 : 0);
  }

  uvarint(v: number): void {
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  varint(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  varlong(v: bigint): void {
    let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.ensure(10);
    while (z >= 0x80n) {
      this.buf[this.pos++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    this.buf[this.pos++] = Number(z);
  }

  uuid(v: string): void {
    this.ensure(16);
    const written = this.buf.write(v, this.pos, 16, 'base64url');
    if (written !== 16) throw new RangeError(`not a 16-byte base64url uuid: ${v}`);
    this.pos += 16;
  }

  raw(bytes: Uint8Array): void {
    if (bytes.length >= this.referenceFrom) {
      if (this.pos > this.start) this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.chunks.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
      this.chunkBytes += this.pos - this.start + bytes.length;
      this.start = this.pos;
      return;
    }
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  private text(v: string, length: number): void {
    this.ensure(length);
    this.pos += this.buf.write(v, this.pos, length, 'utf8');
  }

  string(v: string): void {
    const n = Buffer.byteLength(v);
    this.int16(n);
    this.text(v, n);
  }
  nullableString(v: string | null): void {
    if (v === null) this.int16(-1);
    else this.string(v);
  }
  compactString(v: string): void {
    const n = Buffer.byteLength(v);
    this.uvarint(n + 1);
    this.text(v, n);
  }
  compactNullableString(v: string | null): void {
    if (v === null) this.uvarint(0);
    else this.compactString(v);
  }

  bytes(v: Uint8Array): void {
    this.int32(v.length);
    this.raw(v);
  }
  nullableBytes(v: Uint8Array | null): void {
    if (v === null) this.int32(-1);
    else this.bytes(v);
  }
  compactBytes(v: Uint8Array): void {
    this.uvarint(v.length + 1);
    this.raw(v);
  }
  compactNullableBytes(v: Uint8Array | null): void {
    if (v === null) this.uvarint(0);
    else this.compactBytes(v);
  }

  arrayLength(n: number): void {
    this.int32(n);
  }
  compactArrayLength(n: number): void {
    this.uvarint(n + 1);
  }
}
