// Starts a real PostgreSQL (Debian's postgresql package) in a temporary directory, on a free port,
// with logical replication on, for the CDC tests; stops it and removes the directory afterwards.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './broker-process.ts';

export interface RunningPostgres {
  port: number;
  /** Connection settings for the superuser `postgres` on database `postgres`. */
  connection: { host: string; port: number; user: string; database: string };
  /** Runs SQL as the superuser; resolves with the rows. */
  query<T extends Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  dispose(): Promise<void>;
}

function binaries(): string {
  const root = '/usr/lib/postgresql';
  const version = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a))[0] : undefined;
  if (!version) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  return join(root, version, 'bin');
}

/** Runs a PostgreSQL program as the postgres user when this process is root (initdb refuses root), else as this user. */
function run(program: string, args: string[]): void {
  const command = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', program, ...args]] as const : [program, args] as const;
  execFileSync(command[0], command[1], { stdio: 'pipe' });
}

export async function startPostgres(settings: Record<string, string> = {}): Promise<RunningPostgres> {
  const bin = binaries();
  const dir = mkdtempSync(join(tmpdir(), 'millrace-pg-'));
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  const port = await freePort();
  run(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const options = { listen_addresses: '127.0.0.1', wal_level: 'logical', max_replication_slots: '10', max_wal_senders: '10', ...settings };
  const serverArgs = [`-p ${port}`, `-k ${dir}`, ...Object.entries(options).map(([k, v]) => `-c ${k}=${v}`)].join(' ');
  run(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-l', join(dir, 'server.log'), '-o', serverArgs, '-w', 'start']);
  const connection = { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' };
  const client = new pg.Client(connection);
  await client.connect();
  return {
    port,
    connection,
    async query(sql, values) {
      return (await client.query(sql, values)).rows;
    },
    async dispose() {
      await client.end().catch(() => undefined);
      try {
        run(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
