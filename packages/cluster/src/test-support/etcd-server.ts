// A real etcd (Debian's etcd-server) on free loopback ports with its data in a temp directory.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EtcdServer {
  endpoint: string;
  process: ChildProcess;
  /** SIGSTOP/SIGCONT: etcd stops answering without closing connections. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const STARTUP_TIMEOUT_MS = 15_000;

/** Where to run: loopback on free ports by default, or a test network's namespace and address. */
export interface EtcdPlacement {
  netns?: string;
  host?: string;
}

export async function startEtcd(placement: EtcdPlacement = {}): Promise<EtcdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-etcd-'));
  const host = placement.host ?? '127.0.0.1';
  const [clientPort, peerPort] = placement.netns ? [2379, 2380] : [await freePort(), await freePort()];
  const endpoint = `http://${host}:${clientPort}`;
  const command = placement.netns ? ['ip', 'netns', 'exec', placement.netns, 'etcd'] : ['etcd'];
  const child = spawn(command[0], [...command.slice(1),
    '--name', 'test', '--data-dir', dir,
    '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
    '--listen-peer-urls', `http://${host}:${peerPort}`, '--initial-advertise-peer-urls', `http://${host}:${peerPort}`,
    '--initial-cluster', `test=http://${host}:${peerPort}`,
    // Compaction on, so that watches restarting after it are exercised as in production.
    '--auto-compaction-mode', 'revision', '--auto-compaction-retention', '1000',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const output: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (t: string) => output.push(t));
  process.once('exit', () => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`etcd did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output.join('')}`)), STARTUP_TIMEOUT_MS);
    const check = () => {
      if (output.join('').includes('ready to serve client requests')) {
        clearTimeout(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearTimeout(timer);
        reject(new Error(`etcd exited:\n${output.join('')}`));
      } else setTimeout(check, 50);
    };
    check();
  });
  return {
    endpoint,
    process: child,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async stop() {
      child.kill('SIGCONT');
      if (child.exitCode === null) await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGKILL');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
