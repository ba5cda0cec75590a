import pg from 'pg';
import type { ConfigKey, ConfigMap, SinkConnector, SinkTask } from '../../connector.ts';
import type { ConnectValue, FieldSchema, Schema, SinkRecord } from '../../data.ts';
import { ConnectError } from '../../errors.ts';
import { sinkConnector } from '../define-connector.ts';
import { quoteIdentifier } from './replication-connection.ts';

const CONFIG: ConfigKey[] = [
  { name: 'connection.url', type: 'string', importance: 'high', documentation: 'jdbc:postgresql://host:port/database (or postgresql://...).' },
  { name: 'connection.user', type: 'string', default: null, importance: 'high', documentation: 'The user.' },
  { name: 'connection.password', type: 'password', default: null, importance: 'high', documentation: 'Its password.' },
  { name: 'table.name.format', type: 'string', default: '${topic}', importance: 'medium', documentation: 'The table each record goes to; ${topic} is its topic.' },
  { name: 'insert.mode', type: 'string', default: 'insert', importance: 'high', documentation: 'insert, or upsert (INSERT ... ON CONFLICT on the primary key DO UPDATE).' },
  { name: 'pk.mode', type: 'string', default: 'none', importance: 'high', documentation: 'none, record_key (the key\'s fields, or the key itself as pk.fields), or record_value (pk.fields of the value).' },
  { name: 'pk.fields', type: 'list', default: '', importance: 'medium', documentation: 'The primary key\'s columns (default with record_key: every field of the key).' },
  { name: 'delete.enabled', type: 'boolean', default: 'false', importance: 'medium', documentation: 'A tombstone deletes the row with its key (needs pk.mode=record_key).' },
  { name: 'auto.create', type: 'boolean', default: 'false', importance: 'medium', documentation: 'Create a missing table from the record\'s schema, with the primary key.' },
];

interface SinkSettings {
  connection: pg.ClientConfig;
  tableFormat: string;
  upsert: boolean;
  pkMode: 'none' | 'record_key' | 'record_value';
  pkFields: string[];
  deletes: boolean;
  autoCreate: boolean;
}

function settingsOf(config: ConfigMap): SinkSettings {
  const url = config['connection.url'];
  const match = /^(?:jdbc:)?postgres(?:ql)?:\/\/([^/:?]+)(?::(\d+))?\/([^?]+)/.exec(url);
  if (!match) throw new ConnectError('INVALID_CONFIG', `connection.url: "${url}" is not jdbc:postgresql://host:port/database (only PostgreSQL is supported)`);
  const insertMode = config['insert.mode'] ?? 'insert';
  if (insertMode !== 'insert' && insertMode !== 'upsert') throw new ConnectError('INVALID_CONFIG', `insert.mode: ${insertMode} is not insert or upsert`);
  const pkMode = config['pk.mode'] ?? 'none';
  if (pkMode !== 'none' && pkMode !== 'record_key' && pkMode !== 'record_value') throw new ConnectError('INVALID_CONFIG', `pk.mode: ${pkMode} is not none, record_key or record_value`);
  const pkFields = (config['pk.fields'] ?? '').split(',').map((f) => f.trim()).filter(Boolean);
  if (pkMode === 'record_value' && pkFields.length === 0) throw new ConnectError('INVALID_CONFIG', 'pk.fields: pk.mode=record_value needs the key\'s columns');
  if (insertMode === 'upsert' && pkMode === 'none') throw new ConnectError('INVALID_CONFIG', 'pk.mode: insert.mode=upsert needs a primary key (record_key or record_value)');
  const deletes = config['delete.enabled'] === 'true';
  if (deletes && pkMode !== 'record_key') throw new ConnectError('INVALID_CONFIG', 'delete.enabled: deletes need pk.mode=record_key');
  return {
    connection: { host: match[1], port: Number(match[2] ?? 5432), database: decodeURIComponent(match[3]), user: config['connection.user'], password: config['connection.password'] },
    tableFormat: config['table.name.format'] ?? '${topic}',
    upsert: insertMode === 'upsert',
    pkMode, pkFields, deletes,
    autoCreate: config['auto.create'] === 'true',
  };
}

/** A PostgreSQL column type for a Connect field. */
function columnType(schema: Schema): string {
  if (schema.name === 'org.apache.kafka.connect.data.Timestamp') return 'timestamp';
  if (schema.name === 'org.apache.kafka.connect.data.Date') return 'date';
  const types: Record<string, string> = { int8: 'smallint', int16: 'smallint', int32: 'integer', int64: 'bigint', float32: 'real', float64: 'double precision', boolean: 'boolean', string: 'text', bytes: 'bytea' };
  return types[schema.type] ?? 'jsonb';
}

function sqlValue(value: ConnectValue, schema: Schema | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (schema?.name === 'org.apache.kafka.connect.data.Timestamp' && typeof value === 'number') return new Date(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'object' && !Buffer.isBuffer(value)) return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return value;
}

/**
 * A PostgreSQL sink (the Confluent JDBC sink's settings, for PostgreSQL): each put is one
 * transaction of inserts or upserts (INSERT ... ON CONFLICT DO UPDATE on the primary key) and, with
 * delete.enabled, deletes for tombstones; committed before put returns, so the worker commits
 * offsets only for rows PostgreSQL has. Replayed records upsert to the same rows.
 */
export function postgresSinkConnector(): SinkConnector {
  // Each task writes its share of the topics' partitions.
  return sinkConnector({ name: 'PostgresSinkConnector', configDef: CONFIG, check: settingsOf, tasks: 'each', createTask: () => new PostgresSinkTask() });
}

class PostgresSinkTask implements SinkTask {
  private settings!: SinkSettings;
  private client: pg.Client | null = null;
  private readonly created = new Set<string>();

  async start(config: ConfigMap): Promise<void> {
    this.settings = settingsOf(config);
    this.client = new pg.Client(this.settings.connection);
    this.client.on('error', () => undefined);
    await this.client.connect();
  }

  async put(records: SinkRecord[]): Promise<void> {
    const client = this.client!;
    await client.query('BEGIN');
    try {
      for (const record of records) await this.write(client, record);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** The primary key's columns and values for a record, as pk.mode takes them. */
  private key(record: SinkRecord): { fields: FieldSchema[]; values: Record<string, ConnectValue> } {
    const { pkMode, pkFields } = this.settings;
    if (pkMode === 'none') return { fields: [], values: {} };
    const source = pkMode === 'record_key' ? { schema: record.keySchema, value: record.key } : { schema: record.valueSchema, value: record.value };
    if (source.value !== null && typeof source.value === 'object' && !Array.isArray(source.value) && !Buffer.isBuffer(source.value)) {
      const object = source.value as Record<string, ConnectValue>;
      const names = pkFields.length > 0 ? pkFields : Object.keys(object);
      return {
        fields: names.map((name) => source.schema?.fields?.find((f) => f.field === name) ?? { field: name, type: 'string' }),
        values: Object.fromEntries(names.map((name) => [name, object[name] ?? null])),
      };
    }
    if (pkFields.length !== 1) throw new ConnectError('TASK_FAILED', `a record of ${record.topic} at offset ${record.offset} has a ${pkMode === 'record_key' ? 'key' : 'value'} that is not a struct: pk.fields must name its one column`);
    return { fields: [{ ...(source.schema ?? { type: 'string' }), field: pkFields[0] }], values: { [pkFields[0]]: source.value } };
  }

  private async write(client: pg.Client, record: SinkRecord): Promise<void> {
    const table = quoteIdentifier(this.settings.tableFormat.replaceAll('${topic}', record.topic));
    const key = this.key(record);
    if (record.value === null) {
      if (!this.settings.deletes) return;
      const names = Object.keys(key.values);
      await client.query(`DELETE FROM ${table} WHERE ${names.map((n, i) => `${quoteIdentifier(n)} = $${i + 1}`).join(' AND ')}`, names.map((n) => sqlValue(key.values[n], key.fields.find((f) => f.field === n))));
      return;
    }
    if (typeof record.value !== 'object' || Array.isArray(record.value) || Buffer.isBuffer(record.value)) {
      throw new ConnectError('TASK_FAILED', `a record of ${record.topic} at offset ${record.offset} is not a struct or map: a row needs named fields (with Debezium events, unwrap them with io.debezium.transforms.ExtractNewRecordState)`);
    }
    const row: Record<string, ConnectValue> = { ...(record.value as Record<string, ConnectValue>), ...key.values };
    const fields: FieldSchema[] = [...key.fields, ...(record.valueSchema?.fields ?? Object.keys(row).map((field) => ({ field, type: 'string' as const })))].filter((f, i, all) => all.findIndex((g) => g.field === f.field) === i);
    if (this.settings.autoCreate && !this.created.has(table)) {
      const columns = fields.map((f) => `${quoteIdentifier(f.field)} ${columnType(f)}${key.values[f.field] !== undefined ? ' NOT NULL' : ''}`);
      const primary = Object.keys(key.values).length > 0 ? `, PRIMARY KEY (${Object.keys(key.values).map(quoteIdentifier).join(', ')})` : '';
      await client.query(`CREATE TABLE IF NOT EXISTS ${table} (${columns.join(', ')}${primary})`);
      this.created.add(table);
    }
    const names = fields.map((f) => f.field).filter((name) => name in row);
    const placeholders = names.map((_, i) => `$${i + 1}`).join(', ');
    const keyNames = Object.keys(key.values);
    const others = names.filter((n) => !keyNames.includes(n));
    const conflict = this.settings.upsert
      ? ` ON CONFLICT (${keyNames.map(quoteIdentifier).join(', ')}) DO ${others.length > 0 ? `UPDATE SET ${others.map((n) => `${quoteIdentifier(n)} = EXCLUDED.${quoteIdentifier(n)}`).join(', ')}` : 'NOTHING'}`
      : '';
    await client.query(`INSERT INTO ${table} (${names.map(quoteIdentifier).join(', ')}) VALUES (${placeholders})${conflict}`, names.map((n) => sqlValue(row[n], fields.find((f) => f.field === n))));
  }

  flush(): void {
    // Every put commits its transaction before it returns.
  }

  async stop(): Promise<void> {
    await this.client?.end().catch(() => undefined);
  }
}
