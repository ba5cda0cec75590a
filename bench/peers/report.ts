// The comparison table: every system's figures, Millrace's ratio to each peer measured in the same
// run, and Millrace's figures as a fraction of the machine's limits.
import type { MillraceResult } from './millrace.ts';
import type { SystemResult, Workload } from './workload.ts';

export interface Limits {
  fsyncedWriteMbPerSecond: number;
  loopbackTcpMbPerSecond: number;
}

/** A peer that could not be measured keeps its place in the table with the reason. */
export type PeerOutcome = SystemResult | { system: string; error: string };

const f = (n: number, width: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-').padStart(width);

function row(name: string, r: SystemResult): string {
  const e2e = `${f(r.e2e.p50Ms, 5)} ${f(r.e2e.p99Ms, 6)} ${f(r.e2e.p999Ms, 7)}`;
  return `${name.padEnd(26)} ${f(r.produce.mbPerSecond, 8)} ${f(r.consume.mbPerSecond, 8)} ${e2e} ${f(r.serverRssMb, 7, 0)}  ${r.durability}`;
}

export function peerReport(workload: Workload, millrace: MillraceResult, peers: PeerOutcome[], limits: Limits): string[] {
  const lines = [
    `\nMillrace beside the systems users would pick instead: ${workload.records} records of ${workload.recordBytes} B into one partition or stream each;`,
    `end-to-end latency (send to receipt) at ${workload.e2eRate} records/s for ${workload.e2eSeconds} s; server RSS after it`,
    `${'system'.padEnd(26)} ${'produce'.padStart(8)} ${'consume'.padStart(8)} ${'p50'.padStart(5)} ${'p99'.padStart(6)} ${'p99.9'.padStart(7)} ${'RSS'.padStart(7)}  acknowledged means`,
    `${''.padEnd(26)} ${'MB/s'.padStart(8)} ${'MB/s'.padStart(8)} ${'ms'.padStart(5)} ${'ms'.padStart(6)} ${'ms'.padStart(7)} ${'MB'.padStart(7)}`,
    row('Millrace', millrace),
    `${'  produce from librdkafka'.padEnd(26)} ${f(millrace.produceLibrdkafka.mbPerSecond, 8)}`,
  ];
  for (const peer of peers) {
    if ('error' in peer) lines.push(`${peer.system.padEnd(26)} not measured: ${peer.error}`);
    else lines.push(row(peer.system, peer));
  }
  lines.push(`machine limits: fsynced sequential writes ${limits.fsyncedWriteMbPerSecond.toFixed(0)} MB/s, loopback TCP (iperf3, one stream) ${limits.loopbackTcpMbPerSecond.toFixed(0)} MB/s`);
  lines.push(`Millrace's ratios (x means Millrace's figure divided by the other's; for latency, the other's divided by Millrace's, so above 1 is better):`);
  for (const peer of peers) {
    if ('error' in peer) continue;
    lines.push(`  vs ${peer.system.padEnd(18)} produce ${f(millrace.produce.mbPerSecond / peer.produce.mbPerSecond, 5, 2)}x  consume ${f(millrace.consume.mbPerSecond / peer.consume.mbPerSecond, 5, 2)}x  p99 ${f(peer.e2e.p99Ms / millrace.e2e.p99Ms, 5, 2)}x`);
  }
  lines.push(`  of the limits: produce ${f(millrace.produce.mbPerSecond / limits.fsyncedWriteMbPerSecond, 4, 2)} (librdkafka ${f(millrace.produceLibrdkafka.mbPerSecond / limits.fsyncedWriteMbPerSecond, 4, 2)}) of fsynced writes, consume ${f(millrace.consume.mbPerSecond / limits.loopbackTcpMbPerSecond, 4, 2)} of loopback TCP`);
  lines.push(`Millrace's event loop during the end-to-end run: delay p50 ${millrace.loopDelay.p50Ms.toFixed(2)} ms, p99 ${millrace.loopDelay.p99Ms.toFixed(2)} ms, max ${millrace.loopDelay.maxMs.toFixed(1)} ms`);
  const short = [millrace, ...peers].filter((r): r is SystemResult => !('error' in r) && r.e2e.received < Math.floor(workload.e2eRate * workload.e2eSeconds));
  for (const r of short) lines.push(`${r.system}: only ${r.e2e.received} of ${Math.floor(workload.e2eRate * workload.e2eSeconds)} end-to-end records arrived`);
  return lines;
}
