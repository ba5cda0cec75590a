// The CDC benchmark: rows per second from PostgreSQL transactions into a Kafka topic through the
// PostgreSQL connector on `millrace connect standalone` (logical replication, Debezium envelopes with
// JsonConverter schemas), beside a reference in the same run: the same rows read with one SELECT and
// sent by our producer as JSON.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { Admin, Producer } from '../packages/client/src/index.ts';
import { startBroker } from '../compat/harness/broker-process.ts';
import { startPostgres } from '../compat/harness/postgres.ts';

const root = resolve(import.meta.dirname, '..');
const BATCH = 1000;

export interface CdcBenchResult {
  rows: number;
  referenceSeconds: number;
  cdcSeconds: number;
  /** How long the inserts alone took, within cdcSeconds: the database's own pace. */
  insertSeconds: number;
}

async function endOffset(admin: Admin, topic: string): Promise<number> {
  return (await admin.listOffsets(topic, 'latest').catch(() => [])).reduce((sum, p) => sum + p.offset, 0);
}

export async function benchCdc(rows = Number(process.env.BENCH_CDC_ROWS ?? 100_000)): Promise<CdcBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cdc-'));
  const [broker, postgres] = await Promise.all([startBroker({ args: ['--set', 'group.initial.rebalance.delay.ms=0'] }), startPostgres()]);
  const admin = new Admin({ brokers: [broker.bootstrap] });
  try {
    await postgres.query('CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL, total numeric(10,2) NOT NULL, note text)');
    const insert = async (from: number) => {
      for (let i = from; i < from + rows; i += BATCH) {
        const values = Array.from({ length: Math.min(BATCH, from + rows - i) }, (_, k) => `(${i + k}, ${(i + k) % 977}, ${((i + k) % 10_000) / 100}, 'order ${i + k} of a steady day')`);
        await postgres.query(`INSERT INTO orders VALUES ${values.join(',')}`);
      }
    };

    // Reference: rows already in the table, read with one query and sent as JSON.
    await insert(0);
    let started = performance.now();
    const reader = new pg.Client(postgres.connection);
    await reader.connect();
    const { rows: read } = await reader.query('SELECT * FROM orders');
    await reader.end();
    const producer = new Producer({ brokers: [broker.bootstrap] });
    for (let i = 0; i < read.length; i += 2000) {
      await producer.send('reference.orders', read.slice(i, i + 2000).map((row: { id: number }) => ({ key: JSON.stringify({ id: row.id }), value: JSON.stringify(row) })));
    }
    await producer.close();
    const referenceSeconds = (performance.now() - started) / 1000;
    await postgres.query('TRUNCATE orders');

    // CDC: the connector streams the table (empty when its slot is made); the clock runs from the first insert.
    writeFileSync(join(dir, 'worker.properties'), Object.entries({
      'bootstrap.servers': broker.bootstrap, 'key.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'offset.storage.file.filename': join(dir, 'offsets'), 'offset.flush.interval.ms': '1000', listeners: 'http://127.0.0.1:0',
    }).map(([k, v]) => `${k}=${v}\n`).join(''));
    const { host, port, user, database } = postgres.connection;
    writeFileSync(join(dir, 'cdc.properties'), Object.entries({
      name: 'cdc', 'connector.class': 'io.debezium.connector.postgresql.PostgresConnector', 'database.hostname': host, 'database.port': String(port),
      'database.user': user, 'database.dbname': database, 'topic.prefix': 'bench', 'table.include.list': 'public.orders', 'publication.autocreate.mode': 'filtered',
    }).map(([k, v]) => `${k}=${v}\n`).join(''));
    let insertSeconds = 0;
    const worker = spawn(process.execPath, ['--conditions=development', join(root, 'packages/millrace/src/main.ts'), 'connect', 'standalone', join(dir, 'worker.properties'), join(dir, 'cdc.properties')], { stdio: 'ignore' });
    try {
      while ((await postgres.query('SELECT 1 FROM pg_replication_slots WHERE active')).length === 0) {
        if (worker.exitCode !== null) throw new Error(`the worker exited (${worker.exitCode})`);
        await new Promise((r) => setTimeout(r, 100));
      }
      started = performance.now();
      await insert(rows);
      insertSeconds = (performance.now() - started) / 1000;
      while ((await endOffset(admin, 'bench.public.orders')) < rows) {
        if (worker.exitCode !== null) throw new Error(`the worker exited (${worker.exitCode})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      worker.kill('SIGTERM');
      if (worker.exitCode === null) await once(worker, 'exit');
    }
    const cdcSeconds = (performance.now() - started) / 1000;
    return { rows, referenceSeconds, cdcSeconds, insertSeconds };
  } finally {
    await admin.close();
    await broker.dispose();
    await postgres.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function cdcReport(r: CdcBenchResult): string[] {
  const rate = (seconds: number) => (r.rows / seconds).toFixed(0).padStart(8);
  return [
    `\nCDC: ${r.rows.toLocaleString('en-US')} rows of a PostgreSQL table into a topic, one broker`,
    `  reference: one SELECT of the rows, sent as JSON by our producer     ${rate(r.referenceSeconds)} rows/s`,
    `  PostgresConnector on millrace connect standalone (inserts in transactions of ${BATCH}) ${rate(r.cdcSeconds)} rows/s  (${(r.referenceSeconds / r.cdcSeconds).toFixed(2)} of the reference)`,
    `    of which the inserts themselves took ${r.insertSeconds.toFixed(2)} s; the last row reached Kafka ${(r.cdcSeconds - r.insertSeconds).toFixed(2)} s after its commit`,
  ];
}
