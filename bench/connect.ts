// The Connect benchmark: lines per second from a file through FileStreamSource, a topic and
// FileStreamSink into another file, with `millrace connect standalone` (JsonConverter, offsets
// flushed each second), beside the same copy done by hand with our client in the same run.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBroker } from '../compat/harness/broker-process.ts';
import { runTool } from '../compat/harness/run-tool.ts';

const root = resolve(import.meta.dirname, '..');

export interface ConnectBenchResult {
  lines: number;
  lineBytes: number;
  referenceSeconds: number;
  connectSeconds: number;
}

// The copy is byte for byte: done once the output is as long as the input (reading it whole to count lines, ten times a second, would take CPU from the worker).
const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);

export async function benchConnect(lines = Number(process.env.BENCH_CONNECT_LINES ?? 300_000)): Promise<ConnectBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-connect-'));
  const broker = await startBroker({ args: ['--set', 'group.initial.rebalance.delay.ms=0'] });
  try {
    const input = join(dir, 'input.txt');
    // Log-like lines of about 100 bytes.
    writeFileSync(input, Array.from({ length: lines }, (_, i) => `2026-12-04T18:00:00.${String(i % 1000).padStart(3, '0')}Z INFO request ${i} served in ${i % 97} ms by worker-${i % 8} ok\n`).join(''));
    let started = performance.now();
    await runTool(process.execPath, ['--conditions=development', join(import.meta.dirname, 'connect-reference-worker.ts'), broker.bootstrap, input, 'reference', join(dir, 'reference.txt')], { timeoutMs: 600_000 });
    const referenceSeconds = (performance.now() - started) / 1000;

    const write = (name: string, settings: Record<string, string>) => {
      writeFileSync(join(dir, name), Object.entries(settings).map(([k, v]) => `${k}=${v}\n`).join(''));
      return join(dir, name);
    };
    const files = [
      write('worker.properties', {
        'bootstrap.servers': broker.bootstrap,
        'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'offset.storage.file.filename': join(dir, 'connect.offsets'),
        'offset.flush.interval.ms': '1000',
        listeners: 'http://127.0.0.1:0',
      }),
      write('source.properties', { name: 'source', 'connector.class': 'FileStreamSource', file: input, topic: 'copied' }),
      write('sink.properties', { name: 'sink', 'connector.class': 'FileStreamSink', file: join(dir, 'output.txt'), topics: 'copied' }),
    ];
    started = performance.now();
    const worker = spawn(process.execPath, ['--conditions=development', join(root, 'packages/millrace/src/main.ts'), 'connect', 'standalone', ...files], { stdio: 'ignore' });
    try {
      while (size(join(dir, 'output.txt')) < size(input)) {
        if (worker.exitCode !== null) throw new Error(`the worker exited (${worker.exitCode})`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      worker.kill('SIGTERM');
      if (worker.exitCode === null) await once(worker, 'exit');
    }
    const connectSeconds = (performance.now() - started) / 1000;
    return { lines, lineBytes: statSync(input).size / lines, referenceSeconds, connectSeconds };
  } finally {
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function connectReport(r: ConnectBenchResult): string[] {
  const rate = (seconds: number) => (r.lines / seconds).toFixed(0).padStart(8);
  return [
    `\nConnect: ${r.lines.toLocaleString('en-US')} lines of ${r.lineBytes.toFixed(0)} bytes from a file through a topic into another file, one broker`,
    `  reference: the same copy by hand with our client            ${rate(r.referenceSeconds)} lines/s`,
    `  millrace connect standalone, FileStreamSource -> FileStreamSink ${rate(r.connectSeconds)} lines/s  (${(r.referenceSeconds / r.connectSeconds).toFixed(2)} of the reference; includes the worker's start)`,
  ];
}
