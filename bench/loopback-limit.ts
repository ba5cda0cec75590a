// The machine's limit for moving bytes between two processes over loopback TCP, measured with
// iperf3 (one stream, as one client connection): consume throughput is reported as a ratio of it.
import { freePort } from '../compat/harness/broker-process.ts';
import { runTool } from '../compat/harness/run-tool.ts';
import { startServer } from './peers/server-process.ts';

export interface LoopbackLimit {
  seconds: number;
  mbPerSecond: number;
}

export async function measureLoopbackTcp(seconds = 3): Promise<LoopbackLimit> {
  const port = await freePort();
  const server = await startServer('iperf3', 'iperf3', () => ['-s', '-B', '127.0.0.1', '-p', String(port)], port);
  try {
    const run = await runTool('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', String(seconds), '-J'], { timeoutMs: (seconds + 30) * 1000 });
    const report = JSON.parse(run.stdout) as { end: { sum_received: { bits_per_second: number } } };
    return { seconds, mbPerSecond: report.end.sum_received.bits_per_second / 8 / 1e6 };
  } finally {
    await server.stop();
  }
}
