import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Serde } from '../serdes.ts';
import type { KeyValueStore } from './key-value-store.ts';
import { NO_LOG, type StoreContext } from './state-store.ts';

/**
 * A key-value store in a SQLite file, `<task directory>/<name>.sqlite`, that outlives the process.
 * Changes since the last commit sit in an open SQLite transaction; a commit stores them together
 * with the changelog offset they reach, so the file always holds a state the changelog had, and a
 * restart restores only the changelog after that offset. Uncommitted changes (a crash, an aborted
 * exactly-once transaction, lost tasks) roll back with the transaction. SQLite compares BLOB keys
 * byte by byte, so ranges come out in the order of the in-memory store.
 */
export class PersistentKeyValueStore<K, V> implements KeyValueStore<K, V> {
  readonly name: string;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  private context: StoreContext = NO_LOG;
  private db: DatabaseSync | null = null;
  private statements: ReturnType<typeof prepare> | null = null;

  constructor(name: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.name = name;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  init(context: StoreContext): void {
    this.context = context;
    let path = ':memory:';
    if (context.directory !== null) {
      mkdirSync(context.directory, { recursive: true });
      path = join(context.directory, `${this.name}.sqlite`);
    }
    const db = new DatabaseSync(path);
    // One writer (the instance's lock on its state directory says so): no shared-memory index for
    // the write-ahead log. A commit lost to a power cut leaves an older state and its older offset,
    // which the changelog brings forward again: no fsync per commit needed.
    db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
    db.exec('CREATE TABLE IF NOT EXISTS entries (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID');
    db.exec('CREATE TABLE IF NOT EXISTS checkpoint (id INTEGER PRIMARY KEY CHECK (id = 0), changelog_offset INTEGER NOT NULL)');
    this.db = db;
    this.statements = prepare(db);
  }

  private get database(): DatabaseSync {
    if (!this.db) throw new Error(`store ${this.name} is not open`);
    return this.db;
  }

  private get sql(): ReturnType<typeof prepare> {
    if (!this.statements) throw new Error(`store ${this.name} is not open`);
    return this.statements;
  }

  /** Writes go into the open transaction, begun by the first write after a commit. */
  private writing(): ReturnType<typeof prepare> {
    const sql = this.sql;
    if (!this.database.isTransaction) this.database.exec('BEGIN');
    return sql;
  }

  get(key: K): V | undefined {
    const row = this.sql.get.get(this.keySerde.serialize(key)) as { value: Uint8Array } | undefined;
    return row === undefined ? undefined : this.valueSerde.deserialize(bytes(row.value));
  }

  put(key: K, value: V | null, timestamp = 0): void {
    const keyBytes = this.keySerde.serialize(key);
    if (value === null) {
      this.writing().delete.run(keyBytes);
      this.context.log(keyBytes, null, timestamp);
      return;
    }
    const valueBytes = this.valueSerde.serialize(value);
    this.writing().put.run(keyBytes, valueBytes);
    this.context.log(keyBytes, valueBytes, timestamp);
  }

  delete(key: K): V | undefined {
    const old = this.get(key);
    if (old !== undefined) this.put(key, null);
    return old;
  }

  range(from?: K, to?: K): [K, V][] {
    // Every key is at least the empty BLOB: one open end less to plan for.
    const low = from === undefined ? EMPTY : this.keySerde.serialize(from);
    if (to === undefined) return this.rows(this.sql.rangeFrom.all(low));
    return this.rows(this.sql.range.all(low, this.keySerde.serialize(to)));
  }

  *entries(from?: K, to?: K): IterableIterator<[K, V]> {
    const low = from === undefined ? EMPTY : this.keySerde.serialize(from);
    // A statement of its own: a loop may read the store again, or open another iteration, meanwhile.
    const rows = to === undefined
      ? this.database.prepare('SELECT key, value FROM entries WHERE key >= ? ORDER BY key').iterate(low)
      : this.database.prepare('SELECT key, value FROM entries WHERE key >= ? AND key <= ? ORDER BY key').iterate(low, this.keySerde.serialize(to));
    for (const row of rows) yield this.entry(row);
  }

  all(): [K, V][] {
    return this.range();
  }

  prefixScan(prefix: Buffer): [K, V][] {
    const end = prefixEnd(prefix);
    return this.rows((end === null ? this.sql.rangeFrom.all(prefix) : this.sql.below.all(prefix, end)));
  }

  approximateNumEntries(): number {
    return Number((this.sql.count.get() as { n: number }).n);
  }

  private rows(rows: Record<string, unknown>[]): [K, V][] {
    return rows.map((r) => this.entry(r));
  }

  private entry(row: Record<string, unknown>): [K, V] {
    return [this.keySerde.deserialize(bytes(row.key as Uint8Array)), this.valueSerde.deserialize(bytes(row.value as Uint8Array))];
  }

  restore(key: Buffer, value: Buffer | null): void {
    if (value === null) this.writing().delete.run(key);
    else this.writing().put.run(key, value);
  }

  /** The changelog offset the committed state reaches; a state from another changelog (one ending before it) is dropped. */
  restoreFrom(changelogEnd: number): number {
    const row = this.sql.checkpoint.get() as { changelog_offset: number } | undefined;
    const offset = row === undefined ? 0 : Number(row.changelog_offset);
    if (offset <= changelogEnd) return offset;
    this.writing();
    this.database.exec('DELETE FROM entries; DELETE FROM checkpoint; COMMIT');
    return 0;
  }

  commit(changelogEnd: number | null): void {
    if (!this.db?.isTransaction) return;
    if (changelogEnd !== null) this.sql.setCheckpoint.run(changelogEnd);
    this.db.exec('COMMIT');
  }

  flush(): void {}

  /** Rolls back what was not committed and closes the file. */
  close(): void {
    if (!this.db) return;
    if (this.db.isTransaction) this.db.exec('ROLLBACK');
    this.db.close();
    this.db = null;
    this.statements = null;
  }
}

const EMPTY = Buffer.alloc(0);

/** The store's statements, prepared once: bounds are bound, never spliced, and each bound range can use the key index. */
function prepare(db: DatabaseSync): Record<'get' | 'put' | 'delete' | 'range' | 'rangeFrom' | 'below' | 'count' | 'checkpoint' | 'setCheckpoint', StatementSync> {
  return {
    get: db.prepare('SELECT value FROM entries WHERE key = ?'),
    put: db.prepare('INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)'),
    delete: db.prepare('DELETE FROM entries WHERE key = ?'),
    range: db.prepare('SELECT key, value FROM entries WHERE key >= ? AND key <= ? ORDER BY key'),
    rangeFrom: db.prepare('SELECT key, value FROM entries WHERE key >= ? ORDER BY key'),
    below: db.prepare('SELECT key, value FROM entries WHERE key >= ? AND key < ? ORDER BY key'),
    count: db.prepare('SELECT count(*) AS n FROM entries'),
    checkpoint: db.prepare('SELECT changelog_offset FROM checkpoint WHERE id = 0'),
    setCheckpoint: db.prepare('INSERT OR REPLACE INTO checkpoint (id, changelog_offset) VALUES (0, ?)'),
  };
}

/** SQLite hands BLOBs back as Uint8Array: a Buffer over the same memory, for the serdes. */
function bytes(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The first key after every key starting with `prefix` (null when there is none: all 0xff bytes). */
function prefixEnd(prefix: Buffer): Buffer | null {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return null;
}
