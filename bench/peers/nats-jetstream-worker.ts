// One NATS JetStream workload, run by `nats-jetstream.ts` in a process of its own so that the bench
// orchestrator's event loop is not in the client's way:
//   node nats-jetstream-worker.ts MODE PORT STREAM RECORDS RECORD_BYTES [RATE SECONDS]
// MODE is produce | consume | e2e, the same three workloads Millrace runs (`millrace bench ...`),
// written the way a throughput-minded user of the `nats` client would. The stream STREAM holds one
// subject of the same name and is file-backed. Prints one JSON line.
import { connect, DeliverPolicy, type NatsConnection, StorageType } from 'nats';
import { latency, latencySince, sendPaced } from './workload.ts';

/**
 * Produce: publishes awaiting their acknowledgement at once. Each js.publish is its own request
 * (JetStream has no batch publish), so the window is counted in records. Millrace keeps 6400 records
 * outstanding; here the client's CPU is the limit, and 6400 pending requests (each with its own
 * timer) ran about 15% slower than 1024, which was as fast as any smaller window.
 */
const OUTSTANDING = 1024;
/**
 * Consume: messages per pull request, about 10 MB of values, refilled by the client as they drain.
 * Not more: the server drops a client that has over 64 MB pending to it as a slow consumer, which
 * 50,000 per pull did.
 */
const PULL_MESSAGES = 10_000;
/** End-to-end: how long to wait for missing records after the last send. */
const GRACE_MS = 30_000;

const [mode, portArg, stream, recordsArg, recordBytesArg, rateArg, secondsArg] = process.argv.slice(2);
const records = Number(recordsArg);
const recordBytes = Number(recordBytesArg);

async function open(): Promise<NatsConnection> {
  // noAsyncTraces: otherwise the client captures a stack trace for every request, and so for every
  // publish, for better timeout errors: the largest share of its CPU in a profile of the end-to-end
  // run, and produce took about 40% longer with it.
  return connect({ servers: `127.0.0.1:${portArg}`, noAsyncTraces: true });
}

/** Creates the stream: file storage, one subject, the server's defaults otherwise (no limits, one replica). */
async function createStream(nc: NatsConnection): Promise<void> {
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: stream, subjects: [stream], storage: StorageType.File });
}

async function produce(): Promise<{ records: number; seconds: number }> {
  const nc = await open();
  // Untimed: the connection and the stream exist before the clock starts.
  await createStream(nc);
  const js = nc.jetstream();
  const value = Buffer.alloc(recordBytes, 'x');
  let next = 0;
  const lane = async () => {
    while (next < records) {
      next++;
      await js.publish(stream, value);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: OUTSTANDING }, lane));
  const seconds = (performance.now() - started) / 1000;
  await nc.close();
  return { records, seconds };
}

async function consume(): Promise<{ records: number; seconds: number }> {
  const nc = await open();
  // An ordered consumer: the client's own way to read a stream in order, from its start by default.
  const consumer = await nc.jetstream().consumers.get(stream);
  let count = 0;
  const started = performance.now();
  const messages = await consumer.consume({ max_messages: PULL_MESSAGES });
  for await (const m of messages) {
    if (m.data.length !== recordBytes) throw new Error(`record ${count} has ${m.data.length} bytes, not ${recordBytes}`);
    if (++count === records) break;
  }
  const seconds = (performance.now() - started) / 1000;
  await nc.close();
  if (count !== records) throw new Error(`read ${count} records, expected ${records}`);
  return { records: count, seconds };
}

async function endToEnd() {
  const rate = Number(rateArg);
  const total = Math.floor(rate * Number(secondsArg));
  const nc = await open();
  await createStream(nc);
  const js = nc.jetstream();
  // An ordered consumer following the stream's end: it exists on the server once consume() returns,
  // so the warm-up record cannot slip in before it.
  const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.New });
  const messages = await consumer.consume();
  const latencies: number[] = [];
  let warmedUp = (): void => undefined;
  const warm = new Promise<void>((resolve) => (warmedUp = resolve));
  const receiving = (async () => {
    for await (const m of messages) {
      if (m.data.length < recordBytes) {
        warmedUp();
        continue;
      }
      latencies.push(latencySince(m.data));
      if (latencies.length >= total) break;
    }
  })();
  // Not measured: one record both ends see first, so the connection, the stream and the consumer are
  // up before the clock starts.
  await js.publish(stream, Buffer.alloc(1));
  await warm;
  await sendPaced(rate, Number(secondsArg), recordBytes, (value) => js.publish(stream, value));
  // Stopping the consumer ends its iterator, with whatever has arrived by then.
  const deadline = setTimeout(() => messages.stop(), GRACE_MS);
  await receiving;
  clearTimeout(deadline);
  await nc.close();
  return latency(rate, latencies);
}

const modes: Record<string, () => Promise<object>> = { produce, consume, e2e: endToEnd };
const run = modes[mode];
if (!run) throw new Error(`mode is produce, consume or e2e, not "${mode}"`);
console.log(JSON.stringify(await run()));
