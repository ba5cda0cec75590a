import type { RecordHeader } from '@millrace/protocol';

/** Kafka Connect's schema types. */
export type SchemaType = 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'boolean' | 'string' | 'bytes' | 'array' | 'map' | 'struct';

/**
 * A Connect schema, in the shape Kafka's JsonConverter writes it in its envelope: a struct's fields
 * carry their name in `field`; `name` and `parameters` mark logical types
 * (org.apache.kafka.connect.data.Decimal, Date, Time, Timestamp).
 */
export interface Schema {
  type: SchemaType;
  optional?: boolean;
  name?: string;
  version?: number;
  doc?: string;
  parameters?: Record<string, string>;
  default?: unknown;
  fields?: FieldSchema[];
  items?: Schema;
  keys?: Schema;
  values?: Schema;
}

export interface FieldSchema extends Schema {
  field: string;
}

/**
 * A value as connectors see it: numbers (or bigint for int64 beyond 2^53), strings, booleans,
 * Buffers for bytes, arrays, and plain objects for structs and maps; null for none.
 */
export type ConnectValue = null | boolean | number | bigint | string | Buffer | ConnectValue[] | { [field: string]: ConnectValue };

/** What a source task hands over: where it came from (partition and offset, as JSON), and where it goes. */
export interface SourceRecord {
  /** Names the part of the source this record came from, e.g. `{ filename: '/var/log/app.log' }`. */
  sourcePartition: Record<string, unknown>;
  /** Where in that part it was, e.g. `{ position: 4096 }`: stored once the record is acknowledged, and handed back on restart. */
  sourceOffset: Record<string, unknown>;
  topic: string;
  partition?: number;
  keySchema?: Schema;
  key?: ConnectValue;
  valueSchema?: Schema;
  value: ConnectValue;
  timestamp?: number;
  headers?: RecordHeader[];
}

/** What a sink task is given: a record consumed from Kafka, converted. */
export interface SinkRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  keySchema?: Schema;
  key: ConnectValue;
  valueSchema?: Schema;
  value: ConnectValue;
  headers: RecordHeader[];
}
