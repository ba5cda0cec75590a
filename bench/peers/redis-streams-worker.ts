// One Redis Streams workload, run by `redis-streams.ts` in a process of its own so that the bench
// orchestrator's event loop is not in the client's way:
//   node redis-streams-worker.ts MODE PORT STREAM RECORDS RECORD_BYTES [RATE SECONDS]
// MODE is produce | consume | e2e, the same three workloads Millrace runs (`millrace bench ...`),
// written the way a throughput-minded ioredis user would. Prints one JSON line.
import { Redis } from 'ioredis';
import { latency, latencySince, sendPaced } from './workload.ts';

/** Produce: XADDs per pipeline and pipelines in flight, as Millrace's produce (sends of 100, 64 outstanding). */
const PIPELINE_SIZE = 100;
const OUTSTANDING = 64;
/** Consume: entries per XRANGE page, about 1 MB of values, like a Kafka consumer's per-partition fetch. */
const PAGE = 1000;
/** End-to-end: at most this many entries per XREAD reply. */
const READ_COUNT = 1000;
/** End-to-end: how long to wait for missing records after the last send. */
const GRACE_MS = 30_000;
/** The one field of every entry; the record is its value. */
const FIELD = 'v';

const [mode, portArg, stream, recordsArg, recordBytesArg, rateArg, secondsArg] = process.argv.slice(2);
const port = Number(portArg);
const records = Number(recordsArg);
const recordBytes = Number(recordBytesArg);

function connect(): Redis {
  return new Redis({ host: '127.0.0.1', port });
}

async function produce(): Promise<{ records: number; seconds: number }> {
  const redis = connect();
  const value = Buffer.alloc(recordBytes, 'x');
  // Untimed: the connection is up before the clock starts.
  await redis.ping();
  let next = 0;
  const lane = async () => {
    while (next < records) {
      const from = next;
      next = Math.min(records, next + PIPELINE_SIZE);
      const pipeline = redis.pipeline();
      for (let i = from; i < next; i++) pipeline.xadd(stream, '*', FIELD, value);
      const replies = await pipeline.exec();
      const failed = replies?.find(([err]) => err);
      if (!replies || failed) throw new Error(`XADD failed: ${failed?.[0]?.message ?? 'pipeline aborted'}`);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: OUTSTANDING }, lane));
  const seconds = (performance.now() - started) / 1000;
  await redis.quit();
  return { records, seconds };
}

async function consume(): Promise<{ records: number; seconds: number }> {
  const redis = connect();
  await redis.ping();
  let count = 0;
  // The first page starts at the stream's beginning; each next one just after the last id seen.
  let start = '-';
  const started = performance.now();
  while (count < records) {
    const page = await redis.xrangeBuffer(stream, start, '+', 'COUNT', PAGE);
    if (page.length === 0) break;
    for (const [, fields] of page) {
      if (fields.length !== 2 || fields[1].length !== recordBytes) throw new Error(`entry ${count} has fields of ${fields.map((f) => f.length).join(', ')} bytes, not one value of ${recordBytes}`);
    }
    count += page.length;
    start = `(${page[page.length - 1][0].toString()}`;
  }
  const seconds = (performance.now() - started) / 1000;
  await redis.quit();
  if (count !== records) throw new Error(`read ${count} records, expected ${records}`);
  return { records: count, seconds };
}

async function endToEnd() {
  const rate = Number(rateArg);
  const total = Math.floor(rate * Number(secondsArg));
  const producer = connect();
  // XREAD BLOCK holds its connection until something arrives, so the consumer has one of its own.
  const consumer = connect();
  // The consumer follows from the stream's end as it is now, read explicitly rather than with `$`,
  // so the warm-up record cannot slip in before the first XREAD is blocked.
  const [last] = await consumer.xrevrange(stream, '+', '-', 'COUNT', 1);
  let lastId = last?.[0] ?? '0-0';
  const latencies: number[] = [];
  let closing = false;
  let warmedUp = (): void => undefined;
  const warm = new Promise<void>((resolve) => (warmedUp = resolve));
  const receiving = (async () => {
    while (latencies.length < total) {
      let reply;
      try {
        reply = await consumer.xreadBuffer('COUNT', READ_COUNT, 'BLOCK', 0, 'STREAMS', stream, lastId);
      } catch (err) {
        // Closing the connection after the grace period ends the blocked read.
        if (closing) return;
        throw err;
      }
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          const value = fields[1];
          if (value.length < recordBytes) warmedUp();
          else latencies.push(latencySince(value));
          lastId = id.toString();
        }
      }
    }
  })();
  // Not measured: one record both ends see first, so connections and the stream exist before the clock starts.
  await producer.xadd(stream, '*', FIELD, Buffer.alloc(1));
  await warm;
  await sendPaced(rate, Number(secondsArg), recordBytes, (value) => producer.xadd(stream, '*', FIELD, value));
  const deadline = setTimeout(() => {
    closing = true;
    consumer.disconnect();
  }, GRACE_MS);
  await receiving;
  clearTimeout(deadline);
  consumer.disconnect();
  await producer.quit();
  return latency(rate, latencies);
}

const modes: Record<string, () => Promise<object>> = { produce, consume, e2e: endToEnd };
const run = modes[mode];
if (!run) throw new Error(`mode is produce, consume or e2e, not "${mode}"`);
console.log(JSON.stringify(await run()));
