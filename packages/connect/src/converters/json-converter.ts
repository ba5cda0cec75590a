import type { ConnectValue, Schema } from '../data.ts';
import { ConnectError } from '../errors.ts';
import type { Converter, SchemaAndValue } from './converter.ts';

// ES2024's JSON source text access: whole numbers past 2^53 are read and written exactly, as int64s.
declare global {
  interface JSON {
    rawJSON(text: string): unknown;
  }
}

/**
 * org.apache.kafka.connect.json.JsonConverter. With `schemas.enable` (the default) every key or
 * value is an envelope `{"schema": ..., "payload": ...}`, as Kafka writes it; without, plain JSON.
 * Bytes are base64 strings; whole numbers beyond 2^53 come back as bigint.
 */
export function jsonConverter(config: Record<string, string> = {}): Converter {
  const setting = config['schemas.enable'] ?? 'true';
  if (setting !== 'true' && setting !== 'false') throw new ConnectError('INVALID_CONFIG', `schemas.enable must be true or false, not "${setting}"`);
  const schemasEnabled = setting === 'true';
  return {
    fromConnectData(topic, schema, value) {
      if (schema === undefined && (value === null || value === undefined)) return null;
      const payload = JSON.stringify(toJson(value ?? null, schema, topic));
      return Buffer.from(schemasEnabled ? `{"schema":${schemaJson(schema)},"payload":${payload}}` : payload, 'utf8');
    },
    toConnectData(topic, bytes) {
      if (bytes === null || bytes.length === 0) return { value: null };
      let parsed: unknown;
      try {
        const text = bytes.toString('utf8');
        // A reviver slows parsing several times over: it is needed only where a number may be beyond 2^53 (16 digits or more).
        parsed = MAYBE_UNSAFE_INTEGER.test(text) ? JSON.parse(text, exactIntegers) : JSON.parse(text);
      } catch (err) {
        throw new ConnectError('CONVERSION', `a record of ${topic} is not JSON: ${(err as Error).message}`, { cause: err });
      }
      if (!schemasEnabled) return { value: parsed as ConnectValue };
      if (!isEnvelope(parsed)) {
        throw new ConnectError('CONVERSION', `JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields (a record of ${topic}); for plain JSON set schemas.enable=false in the converter's settings`);
      }
      const schema = parsed.schema === null ? undefined : (parsed.schema as Schema);
      return { schema, value: fromJson(parsed.payload, schema, topic) } satisfies SchemaAndValue;
    },
  };
}

function isEnvelope(value: unknown): value is { schema: unknown; payload: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 2 && keys.includes('schema') && keys.includes('payload');
}

const MAYBE_UNSAFE_INTEGER = /\d{16}/;

/** Schemas as JSON, each written once: a source's records share a few schema objects, and a change event's is kilobytes. */
const schemaTexts = new WeakMap<Schema, string>();

function schemaJson(schema: Schema | undefined): string {
  if (schema === undefined) return 'null';
  let text = schemaTexts.get(schema);
  if (text === undefined) schemaTexts.set(schema, (text = JSON.stringify(schema)));
  return text;
}

function exactIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined && /^-?\d+$/.test(context.source)) return BigInt(context.source);
  return value;
}

/** A value as JSON can hold it: bytes as base64, bigint as an exact number. */
function toJson(value: ConnectValue, schema: Schema | undefined, topic: string): unknown {
  if (value === null) {
    if (schema && !schema.optional && schema.default === undefined) throw new ConnectError('CONVERSION', `a record for ${topic} has no value where its schema (${schema.type}) is not optional`);
    return schema?.default ?? null;
  }
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'bigint') return JSON.rawJSON(value.toString());
  if (Array.isArray(value)) return value.map((v) => toJson(v, schema?.items, topic));
  if (typeof value === 'object') {
    if (schema?.type === 'struct') return Object.fromEntries((schema.fields ?? []).map((f) => [f.field, toJson(value[f.field] ?? null, f, topic)]));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v, schema?.values, topic)]));
  }
  return value;
}

/** The JSON payload read back by its schema: base64 to bytes where the schema says bytes. */
function fromJson(payload: unknown, schema: Schema | undefined, topic: string): ConnectValue {
  if (payload === null || payload === undefined) return null;
  if (schema === undefined) return payload as ConnectValue;
  switch (schema.type) {
    case 'bytes':
      if (typeof payload !== 'string') throw new ConnectError('CONVERSION', `a record of ${topic} has ${typeof payload} where its schema says bytes (base64 text)`);
      return Buffer.from(payload, 'base64');
    case 'array':
      return (payload as unknown[]).map((v) => fromJson(v, schema.items, topic));
    case 'map':
      return Object.fromEntries(Object.entries(payload as object).map(([k, v]) => [k, fromJson(v, schema.values, topic)]));
    case 'struct':
      return Object.fromEntries((schema.fields ?? []).map((f) => [f.field, fromJson((payload as Record<string, unknown>)[f.field], f, topic)]));
    default:
      return payload as ConnectValue;
  }
}
