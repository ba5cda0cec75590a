import { ProtocolError } from './protocol-error.ts';

/**
 * Reads Kafka primitives from a buffer. A read past the end (or a length that does not fit in
 * what is left) sets a sticky `failed` flag and returns an empty value instead of throwing, so the
 * generated decoders stay free of per-field checks; `complete()` throws once at the end.
 * No length read from the wire is used to allocate before it has been checked against the bytes left.
 */
export class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;
  failed = false;
  failure = '';

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  fail(reason: string): void {
    if (!this.failed) {
      this.failed = true;
      this.failure = reason;
    }
    this.pos = this.end;
  }

  /** Throws if any read failed; call once after decoding a whole message. */
  complete(what: string): void {
    if (this.failed) throw new ProtocolError('MALFORMED', `malformed ${what}: ${this.failure}`);
  }

  private take(n: number): number {
    const at = this.pos;
    if (n < 0 || n > this.end - at) {
      this.fail(`needed ${n} bytes at ${at}, ${this.end - at} left`);
      return -1;
    }
    this.pos = at + n;
    return at;
  }

  int8(): number {
    const at = this.take(1);
    return at < 0 ? 0 : this.buf.readInt8(at);
  }
  int16(): number {
    const at = this.take(2);
    return at < 0 ? 0 : this.buf.readInt16BE(at);
  }
  uint16(): number {
    const at = this.take(2);
    return at < 0 ? 0 : this.buf.readUInt16BE(at);
  }
  int32(): number {
    const at = this.take(4);
    return at < 0 ? 0 : this.buf.readInt32BE(at);
  }
  uint32(): number {
    const at = this.take(4);
    return at < 0 ? 0 : this.buf.readUInt32BE(at);
  }
  int64(): bigint {
    const at = this.take(8);
    return at < 0 ? 0n : this.buf.readBigInt64BE(at);
  }
  float64(): number {
    const at = this.take(8);
    return at < 0 ? 0 : this.buf.readDoubleBE(at);
  }
  bool(): boolean {
    return this.int8() !== 0;
  }

  /** Unsigned LEB128 varint of at most 5 bytes (32 bits). */
  uvarint(): number {
    // One byte is the common case (lengths, counts, small deltas).
    if (this.pos < this.end && this.buf[this.pos] < 0x80) return this.buf[this.pos++];
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) {
        this.fail('truncated varint');
        return 0;
      }
      const byte = this.buf[this.pos++];
      result += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) {
        if (result > 0xffffffff) break;
        return result;
      }
    }
    this.fail('varint longer than 32 bits');
    return 0;
  }

  /** Zig-zag signed varint (32 bits). */
  varint(): number {
    const n = this.uvarint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  /**
   * A zig-zag varlong as a number: exact for values of up to 7 bytes (|v| < 2^48, which covers a
   * record's timestamp delta), and through bigint (Number() of it) for longer ones.
   */
  varlongNumber(): number {
    const start = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 7 && this.pos < this.end; i++) {
      const byte = this.buf[this.pos++];
      result += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    }
    this.pos = start;
    return Number(this.varlong());
  }

  /** Zig-zag signed varlong (64 bits). */
  varlong(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) {
        this.fail('truncated varlong');
        return 0n;
      }
      const byte = this.buf[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
    }
    this.fail('varlong longer than 64 bits');
    return 0n;
  }

  uuid(): string {
    const at = this.take(16);
    return at < 0 ? ZERO_UUID : this.buf.toString('base64url', at, at + 16);
  }

  private text(length: number): string {
    const at = this.take(length);
    return at < 0 ? '' : this.buf.toString('utf8', at, at + length);
  }
  private slice(length: number): Buffer {
    const at = this.take(length);
    return at < 0 ? EMPTY : this.buf.subarray(at, at + length);
  }

  string(): string {
    const n = this.int16();
    if (n < 0) this.fail('null in a non-nullable string');
    return n <= 0 ? '' : this.text(n);
  }
  nullableString(): string | null {
    const n = this.int16();
    return n < 0 ? null : this.text(n);
  }
  compactString(): string {
    const n = this.uvarint() - 1;
    if (n < 0) this.fail('null in a non-nullable string');
    return n <= 0 ? '' : this.text(n);
  }
  compactNullableString(): string | null {
    const n = this.uvarint() - 1;
    return n < 0 ? null : this.text(n);
  }

  bytes(): Buffer {
    const n = this.int32();
    if (n < 0) this.fail('null in non-nullable bytes');
    return n <= 0 ? EMPTY : this.slice(n);
  }
  nullableBytes(): Buffer | null {
    const n = this.int32();
    return n < 0 ? null : this.slice(n);
  }
  compactBytes(): Buffer {
    const n = this.uvarint() - 1;
    if (n < 0) this.fail('null in non-nullable bytes');
    return n <= 0 ? EMPTY : this.slice(n);
  }
  compactNullableBytes(): Buffer | null {
    const n = this.uvarint() - 1;
    return n < 0 ? null : this.slice(n);
  }

  /** Array length (int32, -1 = null). A count larger than the bytes left cannot be honest: fail before anything is allocated. */
  arrayLength(): number {
    return this.checkCount(this.int32());
  }
  /** Compact array length (unsigned varint of length + 1, 0 = null); returns -1 for null. */
  compactArrayLength(): number {
    return this.checkCount(this.uvarint() - 1);
  }
  private checkCount(n: number): number {
    if (n > this.end - this.pos) {
      this.fail(`array of ${n} elements with ${this.end - this.pos} bytes left`);
      return 0;
    }
    return n < -1 ? 0 : n;
  }

  /** A sub-reader over the next `length` bytes (a tagged field's value). */
  sub(length: number): Reader {
    const at = this.take(length);
    if (at < 0) return new Reader(EMPTY);
    return new Reader(this.buf, at, at + length);
  }

  /** The bytes of the next `length` bytes, unparsed (an unknown tagged field). */
  raw(length: number): Buffer {
    return this.slice(length);
  }
}

export const EMPTY: Buffer = Buffer.alloc(0);
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
