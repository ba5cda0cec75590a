// Change data capture from a real PostgreSQL (Debian's package, started in a temporary directory)
// with the Debezium-compatible connector on a standalone worker: a consistent snapshot, then
// inserts, updates, deletes with tombstones, key changes and truncates as Debezium's change events;
// then a steady stream of transactions while the worker is SIGKILLed again and again: every
// committed change reaches its topic, in commit order per table, none lost.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Admin } from '@millrace/client';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat, type KcatRecord } from '../harness/kcat.ts';
import { type RunningPostgres, startPostgres } from '../harness/postgres.ts';
import { until } from '../streams/run-workload.ts';
import { curl, type RestWorker, startStandaloneWorker, states } from './connect-worker.ts';

const dir = mkdtempSync(join(tmpdir(), 'connect-cdc-'));
let broker: RunningBroker;
let postgres: RunningPostgres;
let worker: RestWorker;

const WORKER = {
  'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
  'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
  'offset.flush.interval.ms': '500',
};

before(async () => {
  [broker, postgres] = await Promise.all([startBroker({ args: ['--set', 'group.initial.rebalance.delay.ms=0'] }), startPostgres()]);
  worker = await startStandaloneWorker(dir, broker.bootstrap, WORKER);
});

after(async () => {
  if (worker) assert.equal(await worker.process.stop('SIGTERM'), 0, worker.process.output());
  await broker?.dispose();
  await postgres?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function connectorConfig(prefix: string, slot: string, tables: string) {
  const { host, port, user, database } = postgres.connection;
  return {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector', 'plugin.name': 'pgoutput',
    'database.hostname': host, 'database.port': String(port), 'database.user': user, 'database.dbname': database,
    'topic.prefix': prefix, 'slot.name': slot, 'publication.name': `${slot}_pub`, 'publication.autocreate.mode': 'filtered', 'table.include.list': tables,
  };
}

async function endOffset(topic: string): Promise<number> {
  const admin = new Admin({ brokers: [broker.bootstrap] });
  try {
    return (await admin.listOffsets(topic, 'latest')).reduce((sum, p) => sum + p.offset, 0);
  } catch {
    return 0;
  } finally {
    await admin.close();
  }
}

interface Envelope {
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: { connector: string; name: string; ts_ms: number; db: string; schema: string; table: string; snapshot: string; lsn: number | null; txId: number | null };
  op: string;
}

/** The change events of a topic as [key, envelope] (tombstones: [key, null]), read by kcat. */
async function changes(topic: string): Promise<[unknown, Envelope | null][]> {
  const records: KcatRecord[] = await consumeAllWithKcat(broker.bootstrap, topic).catch(() => []);
  return records.map((r) => [r.key === null ? null : JSON.parse(r.key).payload, r.payload === null ? null : (JSON.parse(r.payload).payload as Envelope)]);
}

test('a snapshot, then inserts, updates, deletes with tombstones, a key change and a truncate, as Debezium\'s change events', { timeout: 120_000 }, async () => {
  await postgres.query('CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text, joined timestamptz, spent numeric(10,2), vip boolean)');
  await postgres.query(`INSERT INTO customers (name, email, joined, spent, vip) VALUES ('Ada', 'ada@example.com', '2026-01-02 03:04:05.123456+00', 10.50, true), ('Bob', NULL, NULL, 0, false)`);
  const created = await curl(worker, 'POST', '/connectors', { name: 'shop-cdc', config: connectorConfig('shop', 'shop_slot', 'public.customers') });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  let events: [unknown, Envelope | null][] = [];
  await until('the snapshot read', async () => (events = await changes('shop.public.customers')).length >= 2, 60_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${worker.process.output()}`);
  });
  assert.deepEqual(events.map(([key, e]) => [key, e!.op, e!.source.snapshot]), [[{ id: 1 }, 'r', 'true'], [{ id: 2 }, 'r', 'last']]);
  assert.deepEqual(events[0][1]!.after, { id: 1, name: 'Ada', email: 'ada@example.com', joined: '2026-01-02T03:04:05.123456Z', spent: '10.50', vip: true });
  assert.deepEqual({ ...events[0][1]!.source, lsn: typeof events[0][1]!.source.lsn }, { version: '0.1.0', connector: 'postgresql', name: 'shop', ts_ms: events[0][1]!.source.ts_ms, snapshot: 'true', db: 'postgres', schema: 'public', table: 'customers', txId: null, lsn: 'number' });

  await postgres.query(`INSERT INTO customers (name) VALUES ('Carol')`);
  await postgres.query(`UPDATE customers SET email = 'bob@example.com' WHERE id = 2`);
  await postgres.query('DELETE FROM customers WHERE id = 1');
  await postgres.query('UPDATE customers SET id = 30 WHERE id = 3');
  await postgres.query('TRUNCATE customers');
  await until('every change streamed', async () => (events = await changes('shop.public.customers')).length >= 10, 30_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(events.map(([k, e]) => [k, e?.op]))}\n${worker.process.output()}`);
  });
  const streamed = events.slice(2).map(([key, e]) => [key, e?.op ?? 'tombstone']);
  assert.deepEqual(streamed, [
    [{ id: 3 }, 'c'], [{ id: 2 }, 'u'], [{ id: 1 }, 'd'], [{ id: 1 }, 'tombstone'],
    // A key change: the old key deleted (with its tombstone), the new one created.
    [{ id: 3 }, 'd'], [{ id: 3 }, 'tombstone'], [{ id: 30 }, 'c'], [null, 't'],
  ]);
  const [, update] = events[3];
  assert.equal(update!.before, null, 'REPLICA IDENTITY DEFAULT sends no old row for an update');
  assert.equal(update!.after!.email, 'bob@example.com');
  assert.equal(update!.source.snapshot, 'false');
  assert.equal(typeof update!.source.txId, 'number');
  const [, deleted] = events[4];
  assert.deepEqual(deleted!.before, { id: 1, name: null, email: null, joined: null, spent: null, vip: null }, 'a delete carries the old key');
  assert.deepEqual(await states(worker, 'shop-cdc'), { connector: 'RUNNING', tasks: ['RUNNING'] });
  assert.equal((await curl(worker, 'DELETE', '/connectors/shop-cdc')).status, 204);
});

test('transactions written steadily while the worker is SIGKILLed three times: every committed change arrives, in commit order per table', { timeout: 240_000 }, async (t) => {
  await postgres.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)');
  await postgres.query('CREATE TABLE transfers (id int PRIMARY KEY, account int NOT NULL, amount int NOT NULL)');
  const config = connectorConfig('bank', 'bank_slot', 'public.accounts,public.transfers');
  assert.equal((await curl(worker, 'POST', '/connectors', { name: 'bank-cdc', config })).status, 201);
  // The tables are empty when the snapshot is taken: every change then streams (c and u, none r).
  await until('the slot created', async () => (await postgres.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', ['bank_slot'])).length === 1, 30_000);
  let writing = true;
  let committed = 0;
  const writer = (async () => {
    for (let i = 1; writing; i++) {
      // One transaction touches both tables: a new account, a transfer, an update of the account.
      await postgres.query(`BEGIN; INSERT INTO accounts VALUES (${i}, 0); INSERT INTO transfers VALUES (${i}, ${i}, ${i}); UPDATE accounts SET balance = ${i} WHERE id = ${i}; COMMIT`);
      committed = i;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const storedTxId = async (): Promise<number> => (await curl(worker, 'GET', '/connectors/bank-cdc/offsets')).body.offsets[0]?.offset.txId ?? 0;
  try {
    let storedAtKill = 0;
    for (let kill = 0; kill < 3; kill++) {
      // Each kill comes once the (restarted) worker has stored offsets past the last kill's, while transactions go on
      // (before a streamed change's offset is stored at all, a restart rightly takes the snapshot again).
      await until('offsets stored past the last kill\'s', async () => (await storedTxId()) > storedAtKill + 100, 60_000).catch(async (err: Error) => {
        throw new Error(`${err.message}: ${await endOffset('bank.public.transfers')} transfers, ${committed} committed\n${worker.process.output()}`);
      });
      storedAtKill = await storedTxId();
      assert.equal(await worker.process.stop('SIGKILL'), 'SIGKILL');
      worker = await startStandaloneWorker(dir, broker.bootstrap, WORKER);
      // A standalone worker's connectors live as long as it does: it is created again, and goes on from its stored offsets.
      assert.equal((await curl(worker, 'POST', '/connectors', { name: 'bank-cdc', config })).status, 201);
    }
  } finally {
    writing = false;
    await writer;
  }
  const total = committed;
  let transfers: [unknown, Envelope | null][] = [];
  let accounts: [unknown, Envelope | null][] = [];
  await until('every committed change in Kafka', async () => {
    transfers = await changes('bank.public.transfers');
    accounts = await changes('bank.public.accounts');
    return new Set(transfers.map(([k]) => (k as { id: number }).id)).size >= total && accounts.filter(([, e]) => e?.op === 'u').length >= total;
  }, 90_000).catch((err: Error) => {
    throw new Error(`${err.message}: ${new Set(transfers.map(([k]) => (k as { id: number }).id)).size} of ${total} transfers\n${worker.process.output()}`);
  });
  // Per table, in commit order: dropping repeats (at least once), each table's events are the transactions' in order.
  const firstSeen = (events: [unknown, Envelope | null][]) => {
    const seen = new Set<string>();
    return events.map(([key, e]) => `${(key as { id: number }).id}:${e!.op}`).filter((id) => !seen.has(id) && seen.add(id));
  };
  const expectedAccounts = Array.from({ length: total }, (_, i) => [`${i + 1}:c`, `${i + 1}:u`]).flat();
  assert.deepEqual(firstSeen(accounts), expectedAccounts, 'accounts: every insert and update, in commit order');
  assert.doesNotMatch(worker.process.output(), /dropping slot/, 'restarts resumed the stream; none took the snapshot again');
  assert.deepEqual(firstSeen(transfers), Array.from({ length: total }, (_, i) => `${i + 1}:c`), 'transfers: every insert, in commit order');
  const slot = (await postgres.query<{ active: boolean; confirmed_flush_lsn: string }>('SELECT active, confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1', ['bank_slot']))[0];
  assert.ok(slot.confirmed_flush_lsn, 'the slot was confirmed as offsets were stored');
  const ids = transfers.map(([k]) => (k as { id: number }).id);
  const rewinds = ids.flatMap((id, i) => (i > 0 && id <= ids[i - 1] ? [`${ids[i - 1]}->${id}`] : []));
  t.diagnostic(`rewinds at restarts: ${rewinds.join(', ')}`);
  t.diagnostic(`${total} transactions (${total * 3} changes); ${transfers.length - total} transfer and ${accounts.length - 2 * total} account events repeated after 3 SIGKILLs`);
});

test('CDC into the PostgreSQL sink: unwrapped change events upsert and delete rows of a replica table, and replaying them changes nothing', { timeout: 120_000 }, async () => {
  await postgres.query('CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric(8,2), stock int)');
  await postgres.query(`INSERT INTO products VALUES (1, 'lamp', 19.99, 4), (2, 'desk', 149.00, 1)`);
  assert.equal((await curl(worker, 'POST', '/connectors', { name: 'products-cdc', config: connectorConfig('catalog', 'catalog_slot', 'public.products') })).status, 201);
  const { host, port, database } = postgres.connection;
  const sink = {
    'connector.class': 'io.millrace.connect.postgres.PostgresSinkConnector', topics: 'catalog.public.products',
    'connection.url': `jdbc:postgresql://${host}:${port}/${database}`, 'connection.user': 'postgres',
    'insert.mode': 'upsert', 'pk.mode': 'record_key', 'delete.enabled': 'true', 'auto.create': 'true',
    transforms: 'unwrap,route',
    'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState', 'transforms.unwrap.drop.tombstones': 'false', 'transforms.unwrap.delete.handling.mode': 'none',
    'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter', 'transforms.route.regex': 'catalog\\.public\\.(.*)', 'transforms.route.replacement': '$1_replica',
  };
  const created = await curl(worker, 'POST', '/connectors', { name: 'products-sink', config: sink });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const table = async (name: string) => postgres.query(`SELECT id, name, price::text AS price, stock FROM ${name} ORDER BY id`).catch(() => []);
  const replicated = (what: string) => until(what, async () => JSON.stringify(await table('products_replica')) === JSON.stringify(await table('products')), 30_000).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(await table('products_replica'))} vs ${JSON.stringify(await table('products'))}\n${worker.process.output()}`);
  });
  await replicated('the snapshot replicated');
  await postgres.query(`INSERT INTO products VALUES (3, 'chair', 59.50, 10)`);
  await postgres.query('UPDATE products SET stock = stock - 1, price = 17.99 WHERE id = 1');
  await postgres.query('DELETE FROM products WHERE id = 2');
  await postgres.query('UPDATE products SET id = 30 WHERE id = 3');
  await replicated('inserts, updates, a delete and a key change replicated');
  assert.deepEqual(await table('products_replica'), [{ id: 1, name: 'lamp', price: '17.99', stock: 3 }, { id: 30, name: 'chair', price: '59.50', stock: 10 }]);

  // Replayed from the start of the topic (offsets reset), the upserts and deletes land on the same rows.
  assert.equal((await curl(worker, 'PUT', '/connectors/products-sink/stop')).status, 204);
  assert.equal((await curl(worker, 'DELETE', '/connectors/products-sink/offsets')).status, 200);
  assert.deepEqual((await curl(worker, 'GET', '/connectors/products-sink/offsets')).body, { offsets: [] });
  assert.equal((await curl(worker, 'PUT', '/connectors/products-sink/resume')).status, 202);
  await until('the replay committed', async () => ((await curl(worker, 'GET', '/connectors/products-sink/offsets')).body.offsets[0]?.offset.kafka_offset ?? 0) >= 9, 30_000);
  assert.deepEqual(await table('products_replica'), [{ id: 1, name: 'lamp', price: '17.99', stock: 3 }, { id: 30, name: 'chair', price: '59.50', stock: 10 }]);

  const bad = await curl(worker, 'POST', '/connectors', { name: 'bad-sink', config: { ...sink, 'connection.url': 'jdbc:mysql://x/y' } });
  assert.equal(bad.status, 400);
  assert.match(bad.body.message, /connection.url: "jdbc:mysql:\/\/x\/y" is not jdbc:postgresql/);
  for (const name of ['products-cdc', 'products-sink']) await curl(worker, 'DELETE', `/connectors/${name}`);
});
