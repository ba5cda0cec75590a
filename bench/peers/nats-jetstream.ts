// NATS JetStream in the comparison: Debian's nats-server on loopback with JetStream's file storage
// as it ships (what the issue asks for: the configuration users run), one stream of one subject per
// workload, `nats` clients each in its own process (nats-jetstream-worker.ts) running the same
// workloads as Millrace.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../compat/harness/broker-process.ts';
import { runWorkloads, startServer } from './server-process.ts';
import { rssMb, type SystemResult, type Workload } from './workload.ts';

const root = resolve(import.meta.dirname, '../..');
const WORKER = join(import.meta.dirname, 'nats-jetstream-worker.ts');

/** JetStream may still be starting when the client port accepts; its health check says when it is up. */
async function healthy(monitorPort: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${monitorPort}/healthz`)).ok;
  } catch {
    return false;
  }
}

/** The version the running server reports on its monitoring endpoint. */
async function serverVersion(monitorPort: number): Promise<string> {
  const varz = (await (await fetch(`http://127.0.0.1:${monitorPort}/varz`)).json()) as { version: string };
  return varz.version;
}

export async function benchNatsJetStream(workload: Workload): Promise<SystemResult> {
  const port = await freePort();
  const monitorPort = await freePort();
  // Command-line options only, so no config file of the machine's changes what is measured.
  const server = await startServer('nats', '/usr/sbin/nats-server', (dir) => ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-js', '-sd', dir], port, { ready: () => healthy(monitorPort) });
  try {
    const version = await serverVersion(monitorPort);
    const measured = await runWorkloads(WORKER, port, workload);
    const serverRssMb = rssMb(server.process.pid!);
    const client = JSON.parse(readFileSync(join(root, 'node_modules/nats/package.json'), 'utf8')) as { version: string };
    return {
      system: 'NATS JetStream',
      serverVersion: version,
      client: `nats ${client.version}`,
      // 2.9 writes each message to the file (the page cache) before acknowledging it and fsyncs a
      // stream's files every 2 minutes, fixed: sync_interval only became a setting in 2.10.
      durability: 'file storage, written before ack, fsync every 2 min',
      ...measured,
      serverRssMb,
    };
  } finally {
    await server.stop();
  }
}
