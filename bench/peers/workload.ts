// The workloads every system in the comparison runs, and the shape of its results, so that Millrace,
// Redis Streams, NATS JetStream and RabbitMQ Streams are measured the same way in one run.
import { readFileSync } from 'node:fs';

/** What each system is asked to do. */
export interface Workload {
  /** Records produced (then consumed) in the throughput runs. */
  records: number;
  recordBytes: number;
  /** Records per second offered in the end-to-end latency run, and for how long. */
  e2eRate: number;
  e2eSeconds: number;
}

export interface Throughput {
  records: number;
  seconds: number;
  recordsPerSecond: number;
  mbPerSecond: number;
}

/** Send-to-receipt latency of records offered at a steady rate while a consumer follows. */
export interface Latency {
  rate: number;
  received: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
}

export interface SystemResult {
  system: string;
  /** The server's version as it reports it, and the client library with its version. */
  serverVersion: string;
  client: string;
  /** What an acknowledgement means on this system as configured, in a few words. */
  durability: string;
  produce: Throughput;
  consume: Throughput;
  e2e: Latency;
  /** The server's resident memory at the end of the end-to-end run. */
  serverRssMb: number;
}

export function throughput(records: number, recordBytes: number, seconds: number): Throughput {
  return { records, seconds, recordsPerSecond: records / seconds, mbPerSecond: (records * recordBytes) / 1e6 / seconds };
}

/** Percentiles of latencies in milliseconds (sorts `latencies` in place). */
export function latency(rate: number, latencies: number[]): Latency {
  latencies.sort((a, b) => a - b);
  const at = (q: number) => (latencies.length === 0 ? NaN : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]);
  return { rate, received: latencies.length, p50Ms: at(0.5), p99Ms: at(0.99), p999Ms: at(0.999) };
}

/** A process's resident set size in MB, from /proc. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

/**
 * The end-to-end sender: `rate` records a second for `seconds`, paced in 1 ms ticks (each tick sends
 * what the rate allows up to now), each record its own send, not awaited one by one. A record's
 * send time travels in its first 8 bytes (see `latencySince`), so its receiver alone measures it.
 * Resolves once every send is answered.
 */
export async function sendPaced(rate: number, seconds: number, recordBytes: number, send: (value: Buffer) => Promise<unknown>): Promise<void> {
  const total = Math.floor(rate * seconds);
  const started = performance.now();
  const sends: Promise<unknown>[] = [];
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    for (; sent < due; sent++) {
      const value = Buffer.alloc(recordBytes);
      value.writeDoubleBE(performance.now() + performance.timeOrigin, 0);
      sends.push(send(value));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(sends);
}

/** Milliseconds since a record sent by `sendPaced` was sent. */
export function latencySince(value: Uint8Array): number {
  return performance.now() + performance.timeOrigin - new DataView(value.buffer, value.byteOffset, 8).getFloat64(0);
}
