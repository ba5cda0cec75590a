// A peer's server (redis-server, nats-server, RabbitMQ) started for one bench run on loopback, in a
// temp directory of its own, and its clients' workloads run as child processes that print JSON.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from '../../compat/harness/run-tool.ts';
import { type Latency, type Throughput, throughput, type Workload } from './workload.ts';

const STARTUP_TIMEOUT_MS = 60_000;
const WORKLOAD_TIMEOUT_MS = 600_000;

export interface PeerServer {
  process: ChildProcess;
  dir: string;
  /** The last of what the server printed, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after a grace period; removes the directory. */
  stop(): Promise<void>;
}

export interface ServerOptions {
  env?: NodeJS.ProcessEnv;
  /** Resolves true once the server accepts work; polled until it does. By default, a TCP connect to `port`. */
  ready?: () => Promise<boolean>;
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `command` with the args `argsFor(dir)` (dir: a fresh temp directory) and waits until ready. */
export async function startServer(name: string, command: string, argsFor: (dir: string) => string[], port: number, options: ServerOptions = {}): Promise<PeerServer> {
  const dir = mkdtempSync(join(tmpdir(), `millrace-bench-${name}-`));
  const child = spawn(command, argsFor(dir), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  running.add(child);
  let log = '';
  const append = (chunk: Buffer) => (log = (log + chunk.toString('utf8')).slice(-8000));
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), running.delete(child), resolve())));
  const server: PeerServer = {
    process: child,
    dir,
    output: () => log,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exit;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const ready = options.ready ?? (() => accepts(port));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!(await ready())) {
    if (exited || Date.now() > deadline) {
      await server.stop();
      throw new Error(`${command} did not start${exited ? ` (exited with ${child.exitCode})` : ''}: ${log.slice(-1000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return server;
}

/** Runs a workload worker (`node WORKER ARGS`) and returns the JSON of the last line it printed. */
export async function runWorker<T>(worker: string, args: string[]): Promise<T> {
  const run = await runTool(process.execPath, ['--conditions=development', worker, ...args], { timeoutMs: WORKLOAD_TIMEOUT_MS, allowFailure: true });
  if (run.code !== 0) throw new Error(`${worker} ${args.join(' ')} exited with ${run.code}: ${run.stderr.slice(-1000)}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as T;
}

/**
 * The three workloads, each by `worker` in a process of its own, which takes
 * `MODE PORT STREAM RECORDS RECORD_BYTES [RATE SECONDS]` (MODE produce | consume | e2e) and prints
 * {records, seconds} for produce and consume, a Latency for e2e.
 */
export async function runWorkloads(worker: string, port: number, workload: Workload): Promise<{ produce: Throughput; consume: Throughput; e2e: Latency }> {
  const sized = [String(workload.records), String(workload.recordBytes)];
  const produced = await runWorker<{ records: number; seconds: number }>(worker, ['produce', String(port), 'bench', ...sized]);
  const consumed = await runWorker<{ records: number; seconds: number }>(worker, ['consume', String(port), 'bench', ...sized]);
  const e2e = await runWorker<Latency>(worker, ['e2e', String(port), 'e2e', ...sized, String(workload.e2eRate), String(workload.e2eSeconds)]);
  return {
    produce: throughput(produced.records, workload.recordBytes, produced.seconds),
    consume: throughput(consumed.records, workload.recordBytes, consumed.seconds),
    e2e,
  };
}
