// Starts a real Millrace broker as a child process for tests that drive it with real clients.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
// Generous: a broker restarted after SIGKILL on a loaded machine (a soak) recovers its logs before it listens.
const STARTUP_TIMEOUT_MS = 60_000;

export interface RunningBroker {
  host: string;
  port: number;
  bootstrap: string;
  dataDir: string;
  process: ChildProcess;
  /** Everything the broker printed, for failure messages. */
  output(): string;
  /** Stops the broker with SIGTERM (a clean shutdown) or another signal; resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Starts it again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops it and removes its data directory (unless the caller gave it). */
  dispose(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

// Brokers and their temp dirs must not outlive the test process, however it ends: a normal exit, or
// a signal from the test runner (a signal's default action skips 'exit' handlers, so it is caught,
// then re-raised).
const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();
function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

function launch(dataDir: string, port: number, options: BrokerOptions, log: string[]): Promise<ChildProcess> {
  const host = options.host ?? '127.0.0.1';
  const where = options.listeners ? ['--set', `listeners=${options.listeners}`] : ['--host', host, '--port', String(port)];
  const node = [process.execPath, '--conditions=development', ...(options.nodeArgs ?? []), join(root, 'packages/millrace/src/main.ts'), 'start', '--data-dir', dataDir, ...where, ...(options.args ?? [])];
  // In a network namespace of a test network, `ip netns exec` runs node itself (the pid is node's).
  const command = options.netns ? ['ip', 'netns', 'exec', options.netns, ...node] : node;
  const child = spawn(command[0], command.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  running.add(child);
  child.on('exit', () => running.delete(child));
  return new Promise((resolveChild, reject) => {
    const ready = `listening on ${host}:${port}`;
    // This start's stdout alone, so a readiness line split across chunks is still seen.
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`broker did not start within ${STARTUP_TIMEOUT_MS} ms:\n${log.join('')}`));
    }, STARTUP_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      log.push(text);
      stdout += text;
      if (stdout.includes(ready)) {
        clearTimeout(timer);
        resolveChild(child);
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (text: string) => log.push(text));
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${signal ?? code}) before it was ready:\n${log.join('')}`));
    });
  });
}

export interface BrokerOptions {
  dataDir?: string;
  /** Arguments of `millrace start`. */
  args?: string[];
  /** Options for Node itself, such as `--import` of a probe. */
  nodeArgs?: string[];
  /** Environment variables added to the broker's. */
  env?: Record<string, string>;
  /** A network namespace to run in (see compat/cluster/test-network.ts), with its address and a port. */
  netns?: string;
  host?: string;
  port?: number;
  /** Kafka's `listeners` setting instead of --host/--port; `host` and `port` then name the listener the harness waits for. */
  listeners?: string;
}

export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'millrace-broker-'));
  if (ownDir) tempDirs.add(dataDir);
  const log: string[] = [];
  let port: number;
  let child: ChildProcess;
  try {
    port = options.port ?? (await freePort());
    child = await launch(dataDir, port, options, log);
  } catch (err) {
    tempDirs.delete(dataDir);
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const host = options.host ?? '127.0.0.1';
  const broker: RunningBroker = {
    host,
    port,
    bootstrap: `${host}:${port}`,
    dataDir,
    get process() {
      return child;
    },
    output: () => log.join(''),
    stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      return new Promise((done) => {
        child.once('exit', (code) => done(code));
        child.kill(signal);
      });
    },
    async restart() {
      child = await launch(dataDir, port, options, log);
    },
    async dispose() {
      await broker.stop('SIGKILL');
      tempDirs.delete(dataDir);
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return broker;
}
