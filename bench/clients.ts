// Our TypeScript client against KafkaJS and @platformatic/kafka, side by side on one broker:
// produce and consume throughput of 1 KiB records, each client in its own process and the broker in
// another, one client after another so that none competes with another for the two cores.
import { join } from 'node:path';
import { startBroker } from '../compat/harness/broker-process.ts';
import { runTool } from '../compat/harness/run-tool.ts';
import { Admin, Producer } from '../packages/client/src/index.ts';
import { type Throughput, throughput } from './peers/workload.ts';

export const CLIENTS = ['kafkajs', 'platformatic', 'millrace'] as const;
export type ClientName = (typeof CLIENTS)[number];

export interface ClientBench {
  records: number;
  recordBytes: number;
  partitions: number;
  sendSize: number;
  /** Produce throughput with few sends outstanding (latency-bound, like a service awaiting each send) and with many. */
  produce: { inFlight: number; results: Record<ClientName, Throughput> }[];
  consume: Record<ClientName, Throughput>;
}

const RECORDS = Number(process.env.BENCH_CLIENT_RECORDS ?? 500_000);
const RECORD_BYTES = 1024;
const PARTITIONS = 4;
// Every producer sends the same shape: sends of SEND_SIZE records, at most IN_FLIGHT of them
// outstanding: few, as a service awaiting each send, and many, as a bulk loader (or Kafka's
// producer-perf-test, which sends without waiting up to its buffer).
const SEND_SIZE = 100;
const IN_FLIGHT = [8, 64];
const CONSUMED_TOPIC = 'consumed';

async function worker(script: string, args: string[]): Promise<Throughput> {
  const { stdout } = await runTool(process.execPath, ['--conditions=development', join(import.meta.dirname, script), ...args], { timeoutMs: 600_000 });
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as { records: number; bytes: number; seconds: number };
  return throughput(r.records, r.bytes / r.records, r.seconds);
}

/** Writes the records every consumer then reads; not timed. */
async function fill(bootstrap: string): Promise<void> {
  const producer = new Producer({ brokers: [bootstrap] });
  const value = Buffer.alloc(RECORD_BYTES, 'x');
  for (let from = 0; from < RECORDS; from += 10_000) {
    await producer.send(CONSUMED_TOPIC, Array.from({ length: Math.min(10_000, RECORDS - from) }, (_, i) => ({ key: `key-${from + i}`, value })));
  }
  await producer.close();
}

export async function benchClients(): Promise<ClientBench> {
  const broker = await startBroker({ args: ['--set', `num.partitions=${PARTITIONS}`] });
  try {
    // Created up front: @platformatic/kafka does not ask for topics to be created by default.
    const admin = new Admin({ brokers: [broker.bootstrap] });
    await admin.createTopics([...CLIENTS.map((client) => `produced-by-${client}`), CONSUMED_TOPIC].map((topic) => ({ topic, partitions: PARTITIONS })));
    await admin.close();
    const produce: ClientBench['produce'] = [];
    for (const inFlight of IN_FLIGHT) {
      const results = {} as Record<ClientName, Throughput>;
      for (const client of CLIENTS) results[client] = await worker('client-produce-worker.ts', [client, broker.bootstrap, `produced-by-${client}`, String(RECORDS), String(RECORD_BYTES), String(SEND_SIZE), String(inFlight)]);
      produce.push({ inFlight, results });
    }
    await fill(broker.bootstrap);
    const consume = {} as Record<ClientName, Throughput>;
    for (const client of CLIENTS) consume[client] = await worker('client-consume-worker.ts', [client, broker.bootstrap, CONSUMED_TOPIC, String(PARTITIONS), String(RECORDS)]);
    return { records: RECORDS, recordBytes: RECORD_BYTES, partitions: PARTITIONS, sendSize: SEND_SIZE, produce, consume };
  } finally {
    await broker.dispose();
  }
}

/** The table: each client's figures and its ratio to KafkaJS measured in the same run. */
export function clientReport(bench: ClientBench): string[] {
  const lines = [
    `\nclients, ${bench.records} records of ${bench.recordBytes} B, ${bench.partitions} partitions; produce: sends of ${bench.sendSize} keyed records, N in flight, acks=all`,
    'default settings otherwise (ours idempotent, the others not); consume: from having the partitions to the last record',
    `${'measure'.padEnd(40)} ${'records/s'.padStart(10)} ${'MB/s'.padStart(8)} ${'x KafkaJS'.padStart(10)}`,
  ];
  const rows: [string, Record<ClientName, Throughput>][] = [...bench.produce.map((p) => [`produce, ${p.inFlight} in flight`, p.results] as [string, Record<ClientName, Throughput>]), ['consume', bench.consume]];
  for (const [kind, results] of rows) {
    const reference = results.kafkajs.recordsPerSecond;
    for (const client of CLIENTS) {
      const t = results[client];
      lines.push(`${`${kind}, ${client}`.padEnd(40)} ${t.recordsPerSecond.toFixed(0).padStart(10)} ${t.mbPerSecond.toFixed(1).padStart(8)} ${(t.recordsPerSecond / reference).toFixed(2).padStart(10)}`);
    }
  }
  return lines;
}
