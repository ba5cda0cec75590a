import type { ConnectValue, Schema, SourceRecord } from '../../data.ts';
import { type Column, rowSchema, rowValue } from './pg-types.ts';

/** What each change event's `source` block says, as Debezium's PostgreSQL connector fills it. */
export interface SourceInfo {
  server: string;
  database: string;
  schema: string;
  table: string;
  /** Commit time, milliseconds since the epoch. */
  tsMs: number;
  snapshot: 'true' | 'last' | 'false';
  txId: number | null;
  lsn: number | null;
}

const SOURCE_SCHEMA: Schema = {
  type: 'struct', name: 'io.debezium.connector.postgresql.Source', optional: false,
  fields: [
    { field: 'version', type: 'string', optional: false },
    { field: 'connector', type: 'string', optional: false },
    { field: 'name', type: 'string', optional: false },
    { field: 'ts_ms', type: 'int64', optional: false },
    { field: 'snapshot', type: 'string', optional: true, name: 'io.debezium.data.Enum', version: 1, parameters: { allowed: 'true,last,false,incremental' }, default: 'false' },
    { field: 'db', type: 'string', optional: false },
    { field: 'schema', type: 'string', optional: false },
    { field: 'table', type: 'string', optional: false },
    { field: 'txId', type: 'int64', optional: true },
    { field: 'lsn', type: 'int64', optional: true },
  ],
};

export interface TableShape {
  schema: string;
  table: string;
  columns: Column[];
}

/** Builds Debezium-style change events (key: the key columns; value: before, after, source, op, ts_ms) for one table. */
export class ChangeRecords {
  readonly topic: string;
  private readonly columns: Column[];
  private readonly keyColumns: Column[];
  private readonly keySchema: Schema | undefined;
  private readonly envelope: Schema;

  constructor(prefix: string, shape: TableShape) {
    this.topic = `${prefix}.${shape.schema}.${shape.table}`;
    this.columns = shape.columns;
    this.keyColumns = shape.columns.filter((c) => c.key);
    this.keySchema = this.keyColumns.length > 0 ? { ...rowSchema(`${this.topic}.Key`, this.keyColumns), optional: false } : undefined;
    const row = rowSchema(`${this.topic}.Value`, shape.columns);
    this.envelope = {
      type: 'struct', name: `${this.topic}.Envelope`, optional: false, version: 1,
      fields: [
        { ...row, field: 'before' }, { ...row, field: 'after' }, { ...SOURCE_SCHEMA, field: 'source' },
        { field: 'op', type: 'string', optional: false }, { field: 'ts_ms', type: 'int64', optional: true },
      ],
    };
  }

  private key(row: { [field: string]: ConnectValue }): ConnectValue {
    if (!this.keySchema) return null;
    return Object.fromEntries(this.keyColumns.map((c) => [c.name, row[c.name] ?? null]));
  }

  private source(info: SourceInfo): ConnectValue {
    return { version: '0.1.0', connector: 'postgresql', name: info.server, ts_ms: info.tsMs, snapshot: info.snapshot, db: info.database, schema: info.schema, table: info.table, txId: info.txId, lsn: info.lsn };
  }

  private event(op: 'r' | 'c' | 'u' | 'd', before: (string | null | undefined)[] | null, after: (string | null | undefined)[] | null, info: SourceInfo): Omit<SourceRecord, 'sourcePartition' | 'sourceOffset'> {
    const beforeRow = before && rowValue(this.columns, before);
    const afterRow = after && rowValue(this.columns, after);
    return {
      topic: this.topic,
      keySchema: this.keySchema,
      key: this.key((afterRow ?? beforeRow)!),
      valueSchema: this.envelope,
      value: { before: beforeRow, after: afterRow, source: this.source(info), op, ts_ms: Date.now() },
    };
  }

  read(row: (string | null)[], info: SourceInfo) {
    return [this.event('r', null, row, info)];
  }

  insert(row: (string | null | undefined)[], info: SourceInfo) {
    return [this.event('c', null, row, info)];
  }

  /** An update; one that changed the key is a delete of the old key (with its tombstone) and a create, as Debezium has it. */
  update(keyOrOld: (string | null | undefined)[] | null, keyChanged: boolean, row: (string | null | undefined)[], info: SourceInfo, tombstones: boolean) {
    if (keyChanged && keyOrOld) return [...this.delete(keyOrOld, info, tombstones), ...this.insert(row, info)];
    return [this.event('u', keyOrOld, row, info)];
  }

  /** A delete, then (for log compaction) a tombstone: its key with no value. */
  delete(old: (string | null | undefined)[], info: SourceInfo, tombstones: boolean) {
    const deleted = this.event('d', old, null, info);
    return tombstones ? [deleted, { topic: this.topic, keySchema: this.keySchema, key: deleted.key, value: null }] : [deleted];
  }

  truncate(info: SourceInfo) {
    return [{ topic: this.topic, key: null, valueSchema: this.envelope, value: { before: null, after: null, source: this.source(info), op: 't', ts_ms: Date.now() } }];
  }
}
