import { parseArgs } from 'node:util';
import { Admin, type CompressionName, Consumer, Producer } from '@millrace/client';
import { checkReachable, clientSettings, CommandError, commandError, CONNECT_OPTIONS, outputMode } from '../admin-session.ts';

export const BENCH_USAGE = `Usage:
  millrace bench produce TOPIC [-n RECORDS] [-s BYTES] [-z CODEC]
                              send RECORDS records of BYTES (default 100,000 of 1024) as fast as the
                              broker takes them (acks=all, sends of 100, 64 outstanding)
  millrace bench consume TOPIC [-n RECORDS]
                              read RECORDS records (default: all there are) from the beginning
  millrace bench e2e TOPIC [--rate PER_SECOND] [-d SECONDS]
                              produce at a steady rate (default 10,000/s for 10 s) while consuming;
                              end-to-end latency (send to receipt) percentiles (TOPIC is created
                              with the broker's defaults if it is missing)

Options: --brokers HOST:PORT[,...] (default: $MILLRACE_BROKERS or 127.0.0.1:9092), --command-config FILE
(Kafka client properties: security.protocol, sasl.*, ssl.*), --output table|json`;

const OPTIONS = {
  ...CONNECT_OPTIONS,
  output: { type: 'string', default: 'table' },
  records: { type: 'string', short: 'n' },
  size: { type: 'string', short: 's', default: '1024' },
  compression: { type: 'string', short: 'z', default: 'none' },
  rate: { type: 'string', default: '10000' },
  duration: { type: 'string', short: 'd', default: '10' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Where the brokers are, and how to log in to them. */
type Client = ReturnType<typeof clientSettings>;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

const SEND_SIZE = 100;
const OUTSTANDING = 64;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CommandError(`${name} is a positive number, not "${value}"`, 2);
  return n;
}

/** The value at quantile `q` of ascending `sorted`. */
function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function report(values: Values, result: Record<string, number | string>): void {
  if (outputMode(values.output) === 'json') console.log(JSON.stringify(result));
  else console.log(Object.entries(result).map(([k, v]) => `${k}: ${typeof v === 'number' ? Number(v.toFixed(2)) : v}`).join('\n'));
}

async function benchProduce(topic: string, values: Values, client: Client): Promise<void> {
  const records = Math.floor(positive('--records', values.records, 100_000));
  const size = Math.floor(positive('--size', values.size, 1024));
  if (!['none', 'gzip', 'snappy', 'lz4', 'zstd'].includes(values.compression)) throw new CommandError(`--compression is none, gzip, snappy, lz4 or zstd, not "${values.compression}"`, 2);
  const producer = new Producer({ ...client, clientId: 'millrace-bench', compression: values.compression as CompressionName });
  const value = Buffer.alloc(size, 'x');
  const latencies: number[] = [];
  let next = 0;
  const lane = async () => {
    while (next < records) {
      const from = next;
      next = Math.min(records, next + SEND_SIZE);
      const sentAt = performance.now();
      await producer.send(topic, Array.from({ length: next - from }, (_, i) => ({ key: String(from + i), value })));
      latencies.push(performance.now() - sentAt);
    }
  };
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: OUTSTANDING }, lane));
  } finally {
    await producer.close();
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  report(values, { topic, records, recordBytes: size, seconds, recordsPerSecond: records / seconds, mbPerSecond: (records * size) / 1e6 / seconds, sendP50Ms: quantile(latencies, 0.5), sendP99Ms: quantile(latencies, 0.99) });
}

/** Where each partition of `topic` ends now. */
async function endOffsets(client: Client, topic: string, createIfMissing = false): Promise<{ partition: number; offset: number }[]> {
  const admin = new Admin({ ...client, clientId: 'millrace-bench' });
  try {
    // Made with the broker's defaults, as producing to a missing topic makes it; a topic made meanwhile is as good.
    if (createIfMissing && !(await admin.listTopics()).includes(topic)) {
      await admin.createTopics([{ topic }]).catch((err: unknown) => {
        if ((err as { code?: string }).code !== 'TOPIC_ALREADY_EXISTS') throw err;
      });
      console.error(`millrace bench: created topic ${topic}`);
    }
    return await admin.listOffsets(topic, 'latest');
  } finally {
    await admin.close();
  }
}

async function benchConsume(topic: string, values: Values, client: Client): Promise<void> {
  const ends = await endOffsets(client, topic);
  const consumer = new Consumer({ ...client, clientId: 'millrace-bench', autoOffsetReset: 'earliest' });
  const available = ends.reduce((n, o) => n + o.offset, 0);
  const wanted = Math.min(Math.floor(positive('--records', values.records, available)), available);
  if (wanted === 0) throw new CommandError(`${topic} has no records to read`);
  consumer.assign(ends.map((o) => ({ topic, partition: o.partition, offset: 0 })));
  let count = 0;
  let bytes = 0;
  let started = 0;
  try {
    for await (const batch of consumer.batches()) {
      started ||= performance.now();
      count += batch.records.length;
      for (const r of batch.records) bytes += r.value?.length ?? 0;
      if (count >= wanted) break;
    }
  } finally {
    await consumer.close();
  }
  const seconds = (performance.now() - started) / 1000;
  report(values, { topic, records: count, seconds, recordsPerSecond: count / seconds, mbPerSecond: bytes / 1e6 / seconds });
}

async function benchEndToEnd(topic: string, values: Values, client: Client): Promise<void> {
  const rate = positive('--rate', values.rate, 10_000);
  const seconds = positive('--duration', values.duration, 10);
  const size = Math.max(8, Math.floor(positive('--size', values.size, 1024)));
  const total = Math.floor(rate * seconds);
  const partitions = await endOffsets(client, topic, true);
  const consumer = new Consumer({ ...client, clientId: 'millrace-bench', autoOffsetReset: 'latest' });
  const producer = new Producer({ ...client, clientId: 'millrace-bench' });
  consumer.assign(partitions.map((p) => ({ topic, partition: p.partition, offset: p.offset })));
  const latencies: number[] = [];
  // Not measured: one record that both ends see first, so metadata, the producer id and the first
  // fetch are behind them when the clock starts.
  let warmedUp = (): void => undefined;
  const warm = new Promise<void>((resolve) => (warmedUp = resolve));
  // The send time travels in the value, so a record's latency is measured by its receiver alone.
  const receiving = (async () => {
    for await (const r of consumer.records()) {
      if (r.value!.length < size) {
        warmedUp();
        continue;
      }
      latencies.push(performance.now() + performance.timeOrigin - r.value!.readDoubleBE(0));
      if (latencies.length >= total) break;
    }
  })();
  await producer.send(topic, [{ value: Buffer.alloc(1) }]);
  await warm;
  // Sends are paced in 1 ms ticks: each tick sends what the rate allows up to now.
  const started = performance.now();
  let sent = 0;
  const sends: Promise<unknown>[] = [];
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    for (; sent < due; sent++) {
      const value = Buffer.alloc(size);
      value.writeDoubleBE(performance.now() + performance.timeOrigin, 0);
      sends.push(producer.send(topic, [{ value }]));
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(sends);
  const deadline = setTimeout(() => void consumer.close(), 30_000);
  await receiving;
  clearTimeout(deadline);
  await Promise.all([producer.close(), consumer.close()]);
  latencies.sort((a, b) => a - b);
  report(values, { topic, records: total, received: latencies.length, rate, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), p999Ms: quantile(latencies, 0.999), maxMs: latencies.at(-1) ?? 0 });
}

const ACTIONS: Record<string, (topic: string, values: Values, client: Client) => Promise<void>> = { produce: benchProduce, consume: benchConsume, e2e: benchEndToEnd };

export async function benchCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`millrace bench: ${(err as Error).message}\n\n${BENCH_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(BENCH_USAGE);
    return 0;
  }
  const [action, topic] = positionals;
  const run = action === undefined ? undefined : ACTIONS[action];
  if (!run || !topic || positionals.length !== 2) {
    console.error(`millrace bench: ${!run ? 'the action is produce, consume or e2e' : 'needs one TOPIC'}\n\n${BENCH_USAGE}`);
    return 2;
  }
  try {
    outputMode(values.output);
    const client = clientSettings(values);
    await checkReachable(client.brokers);
    await run(topic, values, client);
    return 0;
  } catch (err) {
    const failure = commandError(err);
    console.error(`millrace bench ${action}: ${failure.message}`);
    return failure.exitCode;
  }
}
