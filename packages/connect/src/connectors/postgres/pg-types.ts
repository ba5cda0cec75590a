import type { ConnectValue, FieldSchema, Schema } from '../../data.ts';

/** Debezium's placeholder for an unchanged TOASTed value that PostgreSQL did not send. */
export const UNAVAILABLE_VALUE = '__debezium_unavailable_value';

interface ColumnType {
  schema: Omit<Schema, 'optional'>;
  read: (text: string) => ConnectValue;
}

const DAY_MS = 86_400_000;
const asString: ColumnType = { schema: { type: 'string' }, read: (t) => t };
const int = (type: 'int16' | 'int32'): ColumnType => ({ schema: { type }, read: Number });

/** Microseconds since the epoch of a timestamp PostgreSQL wrote as text (without losing the microseconds). */
function micros(text: string, zoned: boolean): bigint {
  const match = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?([+-]\d\d(?::?\d\d)?(?::\d\d)?)?( BC)?$/.exec(text);
  if (!match) return 0n;
  const [, y, mo, d, h, mi, s, fraction = '', zone] = match;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const offset = zoned && zone ? /^([+-])(\d\d)(?::?(\d\d))?/.exec(zone) : null;
  if (offset) ms -= (offset[1] === '+' ? 1 : -1) * (Number(offset[2]) * 60 + Number(offset[3] ?? 0)) * 60_000;
  return BigInt(ms) * 1000n + BigInt(fraction.padEnd(6, '0') || '0');
}

function int64(text: string): ConnectValue {
  const n = BigInt(text);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** The column types by PostgreSQL type OID, mapped as Debezium maps them (numeric as text: decimal.handling.mode=string). */
const TYPES: Record<number, ColumnType> = {
  16: { schema: { type: 'boolean' }, read: (t) => t === 't' },
  17: { schema: { type: 'bytes' }, read: (t) => Buffer.from(t.slice(2), 'hex') },
  20: { schema: { type: 'int64' }, read: int64 },
  21: int('int16'),
  23: int('int32'),
  26: { schema: { type: 'int64' }, read: int64 },
  700: { schema: { type: 'float32' }, read: Number },
  701: { schema: { type: 'float64' }, read: Number },
  1700: asString,
  114: { schema: { type: 'string', name: 'io.debezium.data.Json', version: 1 }, read: (t) => t },
  3802: { schema: { type: 'string', name: 'io.debezium.data.Json', version: 1 }, read: (t) => t },
  2950: { schema: { type: 'string', name: 'io.debezium.data.Uuid', version: 1 }, read: (t) => t },
  1082: { schema: { type: 'int32', name: 'io.debezium.time.Date', version: 1 }, read: (t) => Math.round(Date.parse(`${t}T00:00:00Z`) / DAY_MS) },
  1114: { schema: { type: 'int64', name: 'io.debezium.time.MicroTimestamp', version: 1 }, read: (t) => int64(micros(t, false).toString()) },
  1184: {
    schema: { type: 'string', name: 'io.debezium.time.ZonedTimestamp', version: 1 },
    read: (t) => {
      const us = micros(t, true);
      const iso = new Date(Number(us / 1000n)).toISOString();
      const fraction = (us % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
      return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
    },
  },
};

function typeOf(oid: number): ColumnType {
  return TYPES[oid] ?? asString;
}

export interface Column {
  name: string;
  typeOid: number;
  key: boolean;
}

/** The Connect schema of a row: key columns required, the others optional (PostgreSQL's pgoutput does not say which may be null). */
export function rowSchema(name: string, columns: Column[]): Schema {
  const fields: FieldSchema[] = columns.map((c) => ({ ...typeOf(c.typeOid).schema, optional: !c.key, field: c.name }));
  return { type: 'struct', name, optional: true, fields };
}

/** A row as a Connect struct; a TOASTed value not sent is the placeholder for text columns, null for others. */
export function rowValue(columns: Column[], tuple: (string | null | undefined)[]): { [field: string]: ConnectValue } {
  const row: { [field: string]: ConnectValue } = {};
  columns.forEach((c, i) => {
    const text = tuple[i];
    if (text === undefined) row[c.name] = typeOf(c.typeOid).schema.type === 'string' ? UNAVAILABLE_VALUE : null;
    else row[c.name] = text === null ? null : typeOf(c.typeOid).read(text);
  });
  return row;
}
