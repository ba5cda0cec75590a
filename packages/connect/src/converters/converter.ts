import type { ConnectValue, Schema } from '../data.ts';

/** A value and its schema (none for schemaless data). */
export interface SchemaAndValue {
  schema?: Schema;
  value: ConnectValue;
}

/**
 * Turns a record's key or value into bytes and back, as Kafka Connect's converters do: set per
 * worker (`key.converter`, `value.converter`) or per connector, with their own settings under the
 * same prefix (`value.converter.schemas.enable=false`).
 */
export interface Converter {
  fromConnectData(topic: string, schema: Schema | undefined, value: ConnectValue | undefined): Buffer | null;
  toConnectData(topic: string, bytes: Buffer | null): SchemaAndValue;
}
