import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Broker, buildBrokerConfig, ConfigError } from '@millrace/broker';
import type { StartSettings } from './start.ts';
import { onStopSignal } from '../stop-signals.ts';

/** etcd's own ports, fixed so that its data directory can be used again by the next start. */
const ETCD_CLIENT_PORT = 2379;
const ETCD_PEER_PORT = 2380;
const ETCD_STARTUP_MS = 15_000;

/**
 * `millrace dev --brokers N`: a local etcd (Debian's etcd-server, data in <dir>/etcd) and N brokers
 * in this process (ids 1..N, ports from --port up, data in <dir>/broker-<id>), replicating with
 * factor min(3, N), the internal topics too (so transactions work with fewer than 3 brokers). Runs until SIGINT or SIGTERM, then stops the brokers and etcd.
 */
export async function runDevCluster(count: number, settings: StartSettings): Promise<number> {
  if (settings.overrides['listeners']) throw new ConfigError('dev --brokers listens on --port and the ports after it, one per broker: listeners cannot be set');
  if (settings.port === 0 || settings.port + count - 1 > 65535) throw new ConfigError(`dev --brokers ${count} needs ports ${settings.port}-${settings.port + count - 1}: choose a --port from 1 to ${65536 - count}`);
  const held = await holdPorts(settings.host, Array.from({ length: count }, (_, i) => settings.port + i));
  let etcd: ChildProcess;
  try {
    etcd = await startEtcd(join(settings.dataDir, 'etcd'));
  } catch (err) {
    await releasePorts(held);
    throw err;
  }
  const endpoint = `http://127.0.0.1:${ETCD_CLIENT_PORT}`;
  const replication = String(Math.min(3, count));
  const brokers: Broker[] = [];
  try {
    for (let id = 1; id <= count; id++) {
      await releasePorts(held.splice(0, 1));
      const config = buildBrokerConfig({
        'default.replication.factor': replication,
        'offsets.topic.replication.factor': replication,
        'transaction.state.log.replication.factor': replication,
        'transaction.state.log.min.isr': String(Math.min(2, count)),
        ...settings.overrides,
        'node.id': String(id),
        'etcd.endpoints': endpoint,
      });
      brokers.push(await Broker.start({ dataDir: join(settings.dataDir, `broker-${id}`), host: settings.host, port: settings.port + id - 1, config }));
    }
  } catch (err) {
    await releasePorts(held);
    for (const b of brokers) await b.stop();
    etcd.kill('SIGTERM');
    throw err;
  }
  const bootstrap = brokers.map((b) => `${b.state.advertised.host}:${b.port}`).join(',');
  console.log([
    `millrace: development cluster of ${count} brokers ready (etcd at ${endpoint}, data in ${settings.dataDir}):`,
    ...brokers.map((b, i) => `  broker ${i + 1}: ${b.state.advertised.host}:${b.port}`),
    `New topics get ${replication} replicas. Try:`,
    `  kcat -b ${bootstrap} -L`,
    `  npx millrace cluster info --brokers ${bootstrap}`,
    `Stop with Ctrl-C.`,
  ].join('\n'));
  const why = await new Promise<string>((done) => onStopSignal(done));
  console.log(`millrace: ${why}, stopping the brokers and etcd`);
  for (const b of brokers) await b.stop();
  etcd.kill('SIGTERM');
  await new Promise((resolve) => etcd.once('exit', resolve));
  console.log('millrace: stopped');
  return 0;
}

/**
 * Binds every broker's port before anything starts, each to be released just before its broker
 * binds it. A taken port is named at once; and a port held by a listener is never handed out as the
 * local port of an outgoing connection (the first brokers' etcd clients make such connections while
 * the later brokers are still to start).
 */
async function holdPorts(host: string, ports: number[]): Promise<Server[]> {
  const held: Server[] = [];
  for (const [i, port] of ports.entries()) {
    const server = createServer();
    try {
      await new Promise<void>((bound, failed) => {
        server.once('error', failed);
        server.listen(port, host, bound);
      });
    } catch (err) {
      await releasePorts(held);
      (err as Error).message = `broker ${i + 1}'s port: ${(err as Error).message}`;
      throw err;
    }
    held.push(server);
  }
  return held;
}

async function releasePorts(servers: Server[]): Promise<void> {
  for (const server of servers) await new Promise((closed) => server.close(closed));
}

function startEtcd(dir: string): Promise<ChildProcess> {
  mkdirSync(dir, { recursive: true });
  const client = `http://127.0.0.1:${ETCD_CLIENT_PORT}`;
  const peer = `http://127.0.0.1:${ETCD_PEER_PORT}`;
  const child = spawn('etcd', [
    '--name', 'millrace-dev', '--data-dir', dir,
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `millrace-dev=${peer}`,
    '--auto-compaction-mode', 'revision', '--auto-compaction-retention', '10000',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`etcd did not start within ${ETCD_STARTUP_MS} ms:\n${output.slice(-2000)}`)), ETCD_STARTUP_MS);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.once('error', (err: NodeJS.ErrnoException) => fail(err.code === 'ENOENT' ? new Error('millrace dev --brokers needs etcd on the PATH (Debian: apt-get install etcd-server)') : err));
    child.once('exit', (code) => fail(new Error(`etcd exited (${code}) before it was ready; is port ${ETCD_CLIENT_PORT} or ${ETCD_PEER_PORT} taken?\n${output.slice(-2000)}`)));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      if (output.includes('ready to serve client requests')) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        // From here on etcd's log is not kept (it would grow for as long as the cluster runs).
        child.stderr!.removeAllListeners('data').resume();
        resolve(child);
      }
    });
  });
}
