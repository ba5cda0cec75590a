import { StreamsError } from './errors.ts';
import type { Windowed } from './record.ts';

/**
 * Turns values of one type into bytes and back. Null is never passed to a serde: a null key or a
 * null value (a tombstone) is null on the wire too, as with Kafka's serializers.
 */
export interface Serde<T> {
  serialize(value: T): Buffer;
  deserialize(data: Buffer): T;
}

function fixedWidth(data: Buffer, width: number, what: string): Buffer {
  if (data.length !== width) throw new StreamsError('SERDE', `${what} must be ${width} bytes, not ${data.length}`);
  return data;
}

const stringSerde: Serde<string> = {
  serialize: (value) => Buffer.from(value, 'utf8'),
  deserialize: (data) => data.toString('utf8'),
};

const bytesSerde: Serde<Buffer> = {
  serialize: (value) => value,
  deserialize: (data) => data,
};

const int32Serde: Serde<number> = {
  serialize(value) {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(value);
    return b;
  },
  deserialize: (data) => fixedWidth(data, 4, 'an int32').readInt32BE(0),
};

/** Java's LongSerializer layout (8 bytes big-endian) for counts and sums; numbers past 2^53 are refused. */
const int64Serde: Serde<number> = {
  serialize(value) {
    if (!Number.isSafeInteger(value)) throw new StreamsError('SERDE', `an int64 value must be a safe integer, not ${value}`);
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt(value));
    return b;
  },
  deserialize(data) {
    const value = fixedWidth(data, 8, 'an int64').readBigInt64BE(0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new StreamsError('SERDE', `int64 ${value} does not fit a number; read it with Serdes.bigint()`);
    return Number(value);
  },
};

const bigintSerde: Serde<bigint> = {
  serialize(value) {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(value);
    return b;
  },
  deserialize: (data) => fixedWidth(data, 8, 'an int64').readBigInt64BE(0),
};

const float64Serde: Serde<number> = {
  serialize(value) {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleBE(value);
    return b;
  },
  deserialize: (data) => fixedWidth(data, 8, 'a float64').readDoubleBE(0),
};

function json<T>(): Serde<T> {
  return {
    serialize: (value) => Buffer.from(JSON.stringify(value), 'utf8'),
    deserialize(data) {
      try {
        return JSON.parse(data.toString('utf8')) as T;
      } catch (err) {
        throw new StreamsError('SERDE', `not JSON: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}

/** Decimal text: what kcat and a shell pipeline read and write for numbers. */
const decimalSerde: Serde<number> = {
  serialize: (value) => Buffer.from(String(value), 'utf8'),
  deserialize(data) {
    const value = Number(data.toString('utf8'));
    if (Number.isNaN(value)) throw new StreamsError('SERDE', `"${data.toString('utf8')}" is not a decimal number`);
    return value;
  },
};

/**
 * A time window's key as Kafka Streams' TimeWindowedSerializer writes it: the key's bytes, then the
 * window start as 8 bytes big-endian. The end is not written: it is start + the window size.
 */
function timeWindowed<K>(inner: Serde<K>, windowSizeMs: number): Serde<Windowed<K>> {
  return {
    serialize(value) {
      const start = Buffer.allocUnsafe(8);
      start.writeBigInt64BE(BigInt(value.window.start));
      return Buffer.concat([inner.serialize(value.key), start]);
    },
    deserialize(data) {
      if (data.length < 8) throw new StreamsError('SERDE', `a windowed key needs 8 bytes of window start, it has ${data.length} bytes`);
      const start = Number(data.readBigInt64BE(data.length - 8));
      return { key: inner.deserialize(data.subarray(0, data.length - 8)), window: { start, end: start + windowSizeMs } };
    },
  };
}

/** A session window's key as Kafka Streams' SessionWindowedSerializer writes it: the key's bytes, the end, then the start (8 bytes each). */
function sessionWindowed<K>(inner: Serde<K>): Serde<Windowed<K>> {
  return {
    serialize(value) {
      const times = Buffer.allocUnsafe(16);
      times.writeBigInt64BE(BigInt(value.window.end), 0);
      times.writeBigInt64BE(BigInt(value.window.start), 8);
      return Buffer.concat([inner.serialize(value.key), times]);
    },
    deserialize(data) {
      if (data.length < 16) throw new StreamsError('SERDE', `a session key needs 16 bytes of window bounds, it has ${data.length} bytes`);
      const end = Number(data.readBigInt64BE(data.length - 16));
      const start = Number(data.readBigInt64BE(data.length - 8));
      return { key: inner.deserialize(data.subarray(0, data.length - 16)), window: { start, end } };
    },
  };
}

export const Serdes = {
  string: (): Serde<string> => stringSerde,
  bytes: (): Serde<Buffer> => bytesSerde,
  json,
  int32: (): Serde<number> => int32Serde,
  /** 8-byte big-endian integers (Java's Long) as numbers. */
  int64: (): Serde<number> => int64Serde,
  /** 8-byte big-endian integers as bigints. */
  bigint: (): Serde<bigint> => bigintSerde,
  float64: (): Serde<number> => float64Serde,
  /** Numbers as decimal text. */
  decimal: (): Serde<number> => decimalSerde,
  timeWindowed,
  sessionWindowed,
} as const;
