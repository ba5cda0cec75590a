// Redis Streams in the comparison: Debian's redis-server on loopback with the append-only file
// fsynced every second (what the issue asks for: Redis's durable setting that users actually run,
// and the one it recommends), one stream per workload, ioredis clients each in its own process
// (redis-streams-worker.ts) running the same workloads as Millrace.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../compat/harness/broker-process.ts';
import { runWorkloads, startServer } from './server-process.ts';
import { rssMb, type SystemResult, type Workload } from './workload.ts';

const root = resolve(import.meta.dirname, '../..');
const WORKER = join(import.meta.dirname, 'redis-streams-worker.ts');

/** The version the running server reports in INFO. */
async function serverVersion(port: number): Promise<string> {
  const redis = new Redis({ host: '127.0.0.1', port });
  try {
    const info = await redis.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    await redis.quit();
  }
}

export async function benchRedisStreams(workload: Workload): Promise<SystemResult> {
  const port = await freePort();
  // Command-line options only, so no config file of the machine's changes what is measured; no RDB
  // snapshots, so the AOF is the only persistence. AOF rewrites keep Redis's defaults, so they run
  // (forked) during the workloads as they would for a user.
  const server = await startServer('redis', '/usr/bin/redis-server', (dir) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--protected-mode', 'no', '--daemonize', 'no'], port);
  try {
    const version = await serverVersion(port);
    const measured = await runWorkloads(WORKER, port, workload);
    const serverRssMb = rssMb(server.process.pid!);
    const client = JSON.parse(readFileSync(join(root, 'node_modules/ioredis/package.json'), 'utf8')) as { version: string };
    return {
      system: 'Redis Streams',
      serverVersion: version,
      client: `ioredis ${client.version}`,
      durability: 'AOF, fsync every second',
      ...measured,
      serverRssMb,
    };
  } finally {
    await server.stop();
  }
}
