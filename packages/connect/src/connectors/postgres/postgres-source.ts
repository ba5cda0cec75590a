import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { ConfigKey, ConfigMap, SourceConnector, SourceTask, SourceTaskContext } from '../../connector.ts';
import { intSetting } from '../../config.ts';
import type { SourceRecord } from '../../data.ts';
import { ConnectError } from '../../errors.ts';
import { ChangeRecords, type SourceInfo, type TableShape } from './change-records.ts';
import { decodePgOutput, parseLsn, type Relation } from './pgoutput.ts';
import { type PgConnection, quoteIdentifier, ReplicationConnection } from './replication-connection.ts';
import { sourceConnector } from '../define-connector.ts';

const CONFIG: ConfigKey[] = [
  { name: 'database.hostname', type: 'string', importance: 'high', documentation: 'The PostgreSQL server.' },
  { name: 'database.port', type: 'int', default: '5432', importance: 'high', documentation: 'Its port.' },
  { name: 'database.user', type: 'string', importance: 'high', documentation: 'A user with REPLICATION and SELECT on the captured tables (and CREATE on the database to make the publication).' },
  { name: 'database.password', type: 'password', default: '', importance: 'high', documentation: 'Its password.' },
  { name: 'database.dbname', type: 'string', importance: 'high', documentation: 'The database captured.' },
  { name: 'topic.prefix', type: 'string', importance: 'high', documentation: 'The name of this source: topics are <prefix>.<schema>.<table>, and offsets are kept under it.' },
  { name: 'slot.name', type: 'string', default: 'debezium', importance: 'medium', documentation: 'The logical replication slot (created if missing; one per connector).' },
  { name: 'publication.name', type: 'string', default: 'dbz_publication', importance: 'medium', documentation: 'The publication streamed (created if missing, as publication.autocreate.mode says).' },
  { name: 'publication.autocreate.mode', type: 'string', default: 'all_tables', importance: 'low', documentation: 'all_tables: FOR ALL TABLES (needs a superuser); filtered: FOR TABLE the tables of table.include.list; disabled: the publication must exist.' },
  { name: 'table.include.list', type: 'list', default: '', importance: 'medium', documentation: 'Regular expressions for schema.table names to capture (default: every table of the publication).' },
  { name: 'snapshot.mode', type: 'string', default: 'initial', importance: 'medium', documentation: 'initial: read every table once, consistently with the slot, then stream; no_data: stream only.' },
  { name: 'tombstones.on.delete', type: 'boolean', default: 'true', importance: 'low', documentation: 'Follow each delete with a tombstone (its key and no value), so compaction removes the row.' },
  { name: 'max.batch.size', type: 'int', default: '2048', importance: 'low', documentation: 'The most records one poll returns.' },
];

/** Events held ahead of the worker before the stream is paused. */
const MAX_QUEUED = 20_000;
/** Microseconds from the Unix epoch to PostgreSQL's. */
const PG_EPOCH_MS = 946_684_800_000;

function checkSettings(config: ConfigMap): void {
  const mode = config['snapshot.mode'] ?? 'initial';
  if (mode !== 'initial' && mode !== 'no_data') throw new ConnectError('INVALID_CONFIG', `snapshot.mode: ${mode} is not initial or no_data`);
  const publication = config['publication.autocreate.mode'] ?? 'all_tables';
  if (!['all_tables', 'filtered', 'disabled'].includes(publication)) throw new ConnectError('INVALID_CONFIG', `publication.autocreate.mode: ${publication} is not all_tables, filtered or disabled`);
  if (publication === 'filtered' && !config['table.include.list']?.trim()) throw new ConnectError('INVALID_CONFIG', 'table.include.list: publication.autocreate.mode=filtered needs the tables');
}

/**
 * Change data capture from PostgreSQL over logical replication (pgoutput), with Debezium's
 * settings, topics and change events: a consistent snapshot of every captured table first (op r),
 * then each committed insert, update, delete (and its tombstone) and truncate, in commit order.
 * The slot is confirmed only up to transactions whose every record Kafka has and whose offsets
 * are stored, so a crash sends again at most what came after: nothing committed is lost.
 */
export function postgresCdcSourceConnector(): SourceConnector {
  // One slot is read in order by one task.
  return sourceConnector({ name: 'PostgresConnector', configDef: CONFIG,
  check: checkSettings, tasks: 'one', createTask: () => new PostgresCdcTask() });
}

/** Where a record sits: the transaction's commit LSN and its place in it, and how far the slot may be confirmed once it is stored. */
interface CdcOffset {
  lsn: number;
  txId: number | null;
  event: number;
  /** The LSN the slot may be confirmed to once this record's offset is stored: its transaction's end, if it is the last of it. */
  flush_lsn: number;
  /** Present (true) while a snapshot is under way: a restart then takes the snapshot again. */
  snapshot?: true;
}

class PostgresCdcTask implements SourceTask {
  private config!: ConfigMap;
  private context!: SourceTaskContext;
  private connection!: PgConnection;
  private prefix = '';
  private slot = '';
  private publication = '';
  private tombstones = true;
  private batchSize = 2048;
  private include: RegExp[] = [];
  private resumeFrom: CdcOffset | null = null;
  private client: pg.Client | null = null;
  private replication: ReplicationConnection | null = null;
  private started: Promise<void> | null = null;
  private streamFailure: Error | null = null;
  private readonly relations = new Map<number, { relation: Relation; records: ChangeRecords | null }>();
  private transaction: { xid: number; commitLsn: bigint; commitTimeMs: number; records: Omit<SourceRecord, 'sourcePartition' | 'sourceOffset'>[] } | null = null;
  private queue: SourceRecord[] = [];
  private wake: (() => void) | null = null;
  private paused = false;
  /** The end LSN of the last transaction handed to the worker, and how far the worker has stored. */
  private handedOut = 0n;
  private stored = 0n;
  private confirmed = 0n;

  start(config: ConfigMap, context: SourceTaskContext): void {
    this.config = config;
    this.context = context;
    this.connection = { host: config['database.hostname'], port: intSetting(config, CONFIG, 'database.port'), user: config['database.user'], password: config['database.password'] || undefined, database: config['database.dbname'] };
    this.prefix = config['topic.prefix'];
    this.slot = config['slot.name'] ?? 'debezium';
    this.publication = config['publication.name'] ?? 'dbz_publication';
    this.tombstones = (config['tombstones.on.delete'] ?? 'true') === 'true';
    this.batchSize = intSetting(config, CONFIG, 'max.batch.size');
    this.include = (config['table.include.list'] ?? '').split(',').map((t) => t.trim()).filter(Boolean).map((t) => new RegExp(`^(?:${t})$`));
    this.resumeFrom = context.offset({ server: this.prefix }) as CdcOffset | null;
  }

  private captured(schema: string, table: string): boolean {
    return this.include.length === 0 || this.include.some((r) => r.test(`${schema}.${table}`));
  }

  async poll(signal: AbortSignal): Promise<SourceRecord[]> {
    // The snapshot and the stream run beside the polls, which take what they queue.
    this.started ??= this.begin().catch((err: Error) => {
      this.streamFailure ??= err;
      this.wake?.();
    });
    if (this.streamFailure) throw this.streamFailure;
    if (this.queue.length === 0) {
      await Promise.race([sleep(500, undefined, { signal }).catch(() => undefined), new Promise<void>((resolve) => (this.wake = resolve))]);
      this.wake = null;
    }
    if (this.streamFailure) throw this.streamFailure;
    const batch = this.queue.splice(0, this.batchSize);
    if (this.paused && this.queue.length < MAX_QUEUED / 2) this.setPaused(false);
    return batch;
  }

  private async begin(): Promise<void> {
    this.client = new pg.Client({ ...this.connection, types: { getTypeParser: () => (text: string) => text } } as pg.ClientConfig);
    this.client.on('error', (err) => (this.streamFailure ??= err));
    await this.client.connect();
    await this.ensurePublication();
    const slot = (await this.client.query('SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1', [this.slot])).rows[0] as { confirmed_flush_lsn: string | null } | undefined;
    const snapshotDone = this.resumeFrom !== null && this.resumeFrom.snapshot !== true;
    this.replication = new ReplicationConnection(this.connection);
    await this.replication.connect();
    if (!snapshotDone) {
      const takeSnapshot = (this.config['snapshot.mode'] ?? 'initial') === 'initial';
      if (slot && takeSnapshot) {
        // A snapshot must start where its slot does: an unfinished one is taken again, with a new slot.
        this.context.log(`PostgresConnector ${this.prefix}: no complete snapshot stored; dropping slot ${this.slot} to take one consistent with a new slot`);
        await this.client.query('SELECT pg_drop_replication_slot($1)', [this.slot]);
      }
      if (!slot || takeSnapshot) {
        const { consistentPoint, snapshotName } = await this.replication.createSlot(this.slot, takeSnapshot);
        this.context.log(`PostgresConnector ${this.prefix}: created slot ${this.slot} at ${consistentPoint}`);
        if (takeSnapshot) await this.snapshot(snapshotName!, parseLsn(consistentPoint));
      }
    } else if (!slot) {
      throw new ConnectError('TASK_FAILED', `replication slot ${this.slot} is gone, so changes since the stored offset (LSN ${this.resumeFrom!.lsn}) cannot be read: reset the connector's offsets (DELETE /connectors/<name>/offsets while stopped) to take a new snapshot`);
    }
    void this.replication.stream(this.slot, this.publication, (message) => this.onMessage(message), (walEnd, reply) => this.onKeepalive(walEnd, reply))
      .then(() => (this.streamFailure ??= new ConnectError('TASK_FAILED', 'the replication stream ended')), (err: Error) => (this.streamFailure ??= err))
      .finally(() => this.wake?.());
  }

  private async ensurePublication(): Promise<void> {
    const exists = (await this.client!.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [this.publication])).rows.length > 0;
    if (exists) return;
    const mode = this.config['publication.autocreate.mode'] ?? 'all_tables';
    if (mode === 'disabled') throw new ConnectError('TASK_FAILED', `publication ${this.publication} does not exist, and publication.autocreate.mode=disabled`);
    const tables = mode === 'all_tables' ? 'ALL TABLES' : `TABLE ${(this.config['table.include.list'] ?? '').split(',').map((t) => t.trim().split('.').map(quoteIdentifier).join('.')).join(', ')}`;
    await this.client!.query(`CREATE PUBLICATION ${quoteIdentifier(this.publication)} FOR ${tables}`);
  }

  /** Reads every captured table as of the slot's start, inside the snapshot it exported. */
  private async snapshot(snapshotName: string, consistentPoint: bigint): Promise<void> {
    const client = this.client!;
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT '${snapshotName.replaceAll('\'', '')}'`);
    const tables = (await client.query('SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2', [this.publication])).rows as { schemaname: string; tablename: string }[];
    const lsn = Number(consistentPoint);
    const tsMs = Date.now();
    let last: SourceRecord | null = null;
    for (const { schemaname: schema, tablename: table } of tables.filter((t) => this.captured(t.schemaname, t.tablename))) {
      const records = new ChangeRecords(this.prefix, await this.tableShape(schema, table));
      await client.query(`DECLARE snapshot_rows NO SCROLL CURSOR FOR SELECT * FROM ${quoteIdentifier(schema)}.${quoteIdentifier(table)}`);
      for (;;) {
        const { rows, fields } = await client.query({ text: 'FETCH 1000 FROM snapshot_rows', rowMode: 'array' });
        if (rows.length === 0) break;
        for (const row of rows as (string | null)[][]) {
          if (fields.length !== row.length) continue;
          const info: SourceInfo = { server: this.prefix, database: this.connection.database, schema, table, tsMs, snapshot: 'true', txId: null, lsn };
          for (const record of records.read(row, info)) {
            if (last) this.enqueue(last);
            last = { ...record, sourcePartition: { server: this.prefix }, sourceOffset: { lsn, txId: null, event: 0, flush_lsn: 0, snapshot: true } satisfies CdcOffset };
          }
          while (this.queue.length >= MAX_QUEUED && !this.streamFailure) await sleep(50);
        }
      }
      await client.query('CLOSE snapshot_rows');
    }
    await client.query('COMMIT');
    if (last) {
      // The last snapshot record's offset marks the snapshot done: a restart after it streams from the slot.
      const value = last.value as { source: { snapshot: string } };
      value.source.snapshot = 'last';
      this.enqueue({ ...last, sourceOffset: { lsn, txId: null, event: 0, flush_lsn: lsn } satisfies CdcOffset });
      this.handedOut = consistentPoint;
    }
    this.context.log(`PostgresConnector ${this.prefix}: snapshot of ${tables.length} table(s) read as of ${consistentPoint}`);
  }

  /** A table's columns from the catalog, key columns being the primary key's (as pgoutput's default replica identity has them). */
  private async tableShape(schema: string, table: string): Promise<TableShape> {
    const { rows } = await this.client!.query(
      `SELECT a.attname AS name, a.atttypid AS oid, COALESCE(a.attnum = ANY(i.indkey), false) AS key
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
        WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [schema, table]);
    return { schema, table, columns: (rows as { name: string; oid: string; key: string }[]).map((r) => ({ name: r.name, typeOid: Number(r.oid), key: r.key === 't' || r.key === 'true' })) };
  }

  private enqueue(record: SourceRecord): void {
    this.queue.push(record);
    if (this.queue.length >= MAX_QUEUED) this.setPaused(true);
    this.wake?.();
  }

  /** Stops reading the replication stream while the worker is behind (PostgreSQL keeps what is not confirmed). */
  private setPaused(paused: boolean): void {
    this.paused = paused;
    this.replication?.setPaused(paused);
  }

  private onMessage(bytes: Buffer): void {
    const message = decodePgOutput(bytes);
    const tx = this.transaction;
    const info = (relation: Relation): SourceInfo => ({
      server: this.prefix, database: this.connection.database, schema: relation.schema, table: relation.table,
      tsMs: tx?.commitTimeMs ?? Date.now(), snapshot: 'false', txId: tx?.xid ?? null, lsn: tx ? Number(tx.commitLsn) : null,
    });
    const table = (id: number) => {
      const known = this.relations.get(id);
      if (!known) throw new ConnectError('TASK_FAILED', `a change of relation ${id} came before its Relation message`);
      return known;
    };
    switch (message.tag) {
      case 'begin':
        this.transaction = { xid: message.xid, commitLsn: message.finalLsn, commitTimeMs: Number(message.commitTime / 1000n) + PG_EPOCH_MS, records: [] };
        return;
      case 'relation': {
        const { relation } = message;
        this.relations.set(relation.id, { relation, records: this.captured(relation.schema, relation.table) ? new ChangeRecords(this.prefix, relation) : null });
        return;
      }
      case 'insert': {
        const { relation, records } = table(message.relationId);
        if (records) tx!.records.push(...records.insert(message.newTuple, info(relation)));
        return;
      }
      case 'update': {
        const { relation, records } = table(message.relationId);
        if (records) tx!.records.push(...records.update(message.keyTuple ?? message.oldTuple, message.keyTuple !== null, message.newTuple, info(relation), this.tombstones));
        return;
      }
      case 'delete': {
        const { relation, records } = table(message.relationId);
        if (records) tx!.records.push(...records.delete((message.keyTuple ?? message.oldTuple)!, info(relation), this.tombstones));
        return;
      }
      case 'truncate':
        for (const id of message.relationIds) {
          const { relation, records } = table(id);
          if (records) tx!.records.push(...records.truncate(info(relation)));
        }
        return;
      case 'commit':
        this.transaction = null;
        if (tx) this.committed(tx, message.endLsn);
        return;
      default:
    }
  }

  /** Hands a committed transaction's records to the worker, skipping those a stored offset says were delivered. */
  private committed(tx: NonNullable<PostgresCdcTask['transaction']>, endLsn: bigint): void {
    const lsn = Number(tx.commitLsn);
    const resume = this.resumeFrom;
    const alreadyDelivered = (event: number) => resume !== null && resume.snapshot !== true && (lsn < resume.lsn || (lsn === resume.lsn && event <= resume.event));
    const records = tx.records.map((record, event) => ({ record, event })).filter(({ event }) => !alreadyDelivered(event));
    if (records.length === 0) {
      // Nothing to deliver: the slot may move past it once everything before it is stored.
      if (this.stored >= this.handedOut) this.confirm(endLsn);
      return;
    }
    const previousEnd = this.handedOut;
    records.forEach(({ record, event }, i) => {
      const last = i === records.length - 1;
      this.enqueue({ ...record, sourcePartition: { server: this.prefix }, sourceOffset: { lsn, txId: tx.xid, event, flush_lsn: Number(last ? endLsn : previousEnd) } satisfies CdcOffset });
    });
    this.handedOut = endLsn;
  }

  private onKeepalive(walEnd: bigint, replyRequested: boolean): void {
    // With nothing received and not yet stored, the slot can follow the server (WAL of other tables is not held back).
    if (this.transaction === null && this.queue.length === 0 && this.stored >= this.handedOut && walEnd > this.confirmed) this.confirm(walEnd);
    else if (replyRequested) this.replication?.confirm(this.confirmed);
  }

  private confirm(lsn: bigint): void {
    if (lsn < this.confirmed) return;
    this.confirmed = lsn;
    this.replication?.confirm(lsn);
  }

  /** Called once offsets are stored: the slot is confirmed up to the last transaction stored whole. */
  commit(): void {
    const stored = this.context.offset({ server: this.prefix }) as CdcOffset | null;
    if (!stored || stored.snapshot === true || stored.flush_lsn === 0) return;
    const flush = BigInt(stored.flush_lsn);
    if (flush > this.stored) this.stored = flush;
    if (this.started && this.replication) this.confirm(this.stored);
  }

  async stop(): Promise<void> {
    await this.replication?.close();
    await this.client?.end().catch(() => undefined);
  }
}
