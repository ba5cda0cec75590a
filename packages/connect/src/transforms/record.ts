import type { RecordHeader } from '@millrace/protocol';
import type { ConfigKey, ConfigMap } from '../connector.ts';
import type { ConnectValue, FieldSchema, Schema } from '../data.ts';
import { ConnectError } from '../errors.ts';

/** What a transformation sees of a source or a sink record: where it goes, and its key and value with their schemas. */
export interface ConnectRecord {
  topic: string;
  partition?: number;
  /** Sink records only: the offset it was consumed at. */
  offset?: number;
  timestamp?: number;
  keySchema?: Schema;
  key?: ConnectValue;
  valueSchema?: Schema;
  value: ConnectValue;
  headers?: RecordHeader[];
}

/** A single message transform: the record changed, or null to drop it. */
export type Transformation = <R extends ConnectRecord>(record: R) => R | null;

/** A transformation's plugin: its settings, and how it is made from them for the key or the value. */
export interface TransformPlugin {
  configDef: ConfigKey[];
  create(settings: ConfigMap, part: Part): Transformation;
}

export type Part = 'key' | 'value';

export function partOf(record: ConnectRecord, part: Part): { schema: Schema | undefined; value: ConnectValue } {
  return part === 'key' ? { schema: record.keySchema, value: record.key ?? null } : { schema: record.valueSchema, value: record.value };
}

export function withPart<R extends ConnectRecord>(record: R, part: Part, schema: Schema | undefined, value: ConnectValue): R {
  return part === 'key' ? { ...record, keySchema: schema, key: value } : { ...record, valueSchema: schema, value };
}

/** A struct or map value as an object; anything else is refused, naming the transformation. */
export function requireObject(value: ConnectValue, what: string, schema: Schema | undefined): { [field: string]: ConnectValue } {
  if (schema && schema.type !== 'struct') throw new ConnectError('TRANSFORM', `${what} needs a struct, found a ${schema.type} schema`);
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value)) {
    throw new ConnectError('TRANSFORM', `${what} needs a ${schema ? 'struct' : 'map'}${schema ? '' : ' (the record has no schema)'}, found ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as { [field: string]: ConnectValue };
}

/** A setting as a comma-separated list, without blanks. */
export function listSetting(settings: ConfigMap, name: string): string[] {
  return (settings[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

export function structSchema(schema: Schema, fields: FieldSchema[]): Schema {
  return { ...schema, fields };
}
