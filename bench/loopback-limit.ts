// The machine's limit for moving bytes between two processes over loopback TCP, measured with
// iperf3 (one stream, as one client connection): consume throughput is reported as a ratio of it.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../compat/harness/broker-process.ts';
import { runTool } from '../compat/harness/run-tool.ts';

export interface LoopbackLimit {
  seconds: number;
  mbPerSecond: number;
}

/** Resolves once something accepts connections on `port`. */
async function listening(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => resolve(true)).once('error', () => resolve(false));
      socket.once('connect', () => socket.destroy());
    });
    if (accepted) return;
    await sleep(50);
  }
  throw new Error(`iperf3 did not listen on port ${port}`);
}

export async function measureLoopbackTcp(seconds = 3): Promise<LoopbackLimit> {
  const port = String(await freePort());
  const server = spawn('iperf3', ['-s', '-B', '127.0.0.1', '-p', port], { stdio: 'ignore' });
  try {
    await listening(Number(port));
    const run = await runTool('iperf3', ['-c', '127.0.0.1', '-p', port, '-t', String(seconds), '-J'], { timeoutMs: (seconds + 30) * 1000 });
    const report = JSON.parse(run.stdout) as { end: { sum_received: { bits_per_second: number } } };
    return { seconds, mbPerSecond: report.end.sum_received.bits_per_second / 8 / 1e6 };
  } finally {
    server.kill();
  }
}
