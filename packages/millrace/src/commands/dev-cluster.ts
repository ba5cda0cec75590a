import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Broker, buildBrokerConfig } from '@millrace/broker';
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
  const etcd = await startEtcd(join(settings.dataDir, 'etcd'));
  const endpoint = `http://127.0.0.1:${ETCD_CLIENT_PORT}`;
  const replication = String(Math.min(3, count));
  const brokers: Broker[] = [];
  try {
    for (let id = 1; id <= count; id++) {
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
