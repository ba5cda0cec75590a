// One RabbitMQ Streams workload of the peer comparison (rabbitmq-streams.ts), in a process of its own so
// the orchestrator's event loop is not in the way, with the stream protocol client
// rabbitmq-stream-js-client as it batches by itself: a publisher's send() queues a record and the
// publisher writes frames of up to 100 (its default maxChunkLength), confirms counted from its
// publish_confirm event; a consumer with the default credit policy (the next chunk is asked for once
// the current one has been handled).
//   node rabbitmq-streams-worker.ts produce|consume|e2e PORT STREAM RECORDS RECORD_BYTES [RATE SECONDS]
// Prints one JSON line: {records, seconds} for produce and consume, latency() for e2e.
import { type Client, connect, type Consumer, Offset } from 'rabbitmq-stream-js-client';
import { Connection } from 'rabbitmq-stream-js-client/dist/connection.js';
import { latency, latencySince, sendPaced } from './workload.ts';

// Every published version of the client (0.4.2 to 1.0.0) sends exchange_command_versions right after
// opening a connection, and RabbitMQ 3.10 (Debian's) predates that command (3.11): it answers by closing
// the connection. Skipping the exchange leaves both sides on publish v1 and deliver v1, the versions the
// client settles on for any server older than 3.13 anyway.
(Connection.prototype as unknown as { exchangeCommandVersions: () => Promise<boolean> }).exchangeCommandVersions = () => Promise.resolve(true);

/** Unconfirmed records allowed in flight: Millrace's produce keeps 64 sends of 100 outstanding. */
const WINDOW = 6400;
/** How long e2e waits for missing records after the last send. */
const GRACE_MS = 30_000;

const [mode, port, stream, recordsArg, recordBytesArg, rateArg, secondsArg] = process.argv.slice(2);
const records = Number(recordsArg);
const recordBytes = Number(recordBytesArg);

async function produce(client: Client): Promise<{ records: number; seconds: number }> {
  // Not timed: the stream and the publisher (its connection to the stream's leader).
  await client.createStream({ stream });
  const publisher = await client.declarePublisher({ stream });
  let confirmed = 0;
  let refused: Error | undefined;
  let wake = (): void => undefined;
  publisher.on('publish_confirm', (error, ids) => {
    if (error !== null) refused ??= new Error(`RabbitMQ refused records ${ids.join(',')}: code ${error}`);
    else confirmed += ids.length;
    wake();
  });
  const confirmedUpTo = async (count: number) => {
    while (confirmed < count) {
      if (refused) throw refused;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  const value = Buffer.alloc(recordBytes, 'x');
  const started = performance.now();
  for (let sent = 0; sent < records; sent++) {
    await confirmedUpTo(sent - WINDOW + 1);
    // Queues the record; the publisher writes a frame when 100 are queued or on the next turn of the loop.
    await publisher.send(value);
  }
  await publisher.flush();
  await confirmedUpTo(records);
  return { records, seconds: (performance.now() - started) / 1000 };
}

async function consume(client: Client): Promise<{ records: number; seconds: number }> {
  let count = 0;
  let consumer: Consumer | undefined;
  const started = performance.now();
  const finished = await new Promise<number>((resolve, reject) => {
    client
      .declareConsumer({ stream, offset: Offset.first() }, (message) => {
        if (message.content.length !== recordBytes) reject(new Error(`record ${count} has ${message.content.length} bytes, not ${recordBytes}`));
        if (++count === records) resolve(performance.now());
      })
      .then((declared) => (consumer = declared), reject);
  });
  await consumer?.close();
  if (count !== records) throw new Error(`read ${count} records, not ${records}`);
  return { records, seconds: (finished - started) / 1000 };
}

async function endToEnd(client: Client) {
  const rate = Number(rateArg);
  const total = Math.floor(rate * Number(secondsArg));
  await client.createStream({ stream });
  const publisher = await client.declarePublisher({ stream });
  const latencies: number[] = [];
  let warmedUp = (): void => undefined;
  const warm = new Promise<void>((resolve) => (warmedUp = resolve));
  let allArrived = (): void => undefined;
  const arrived = new Promise<void>((resolve) => (allArrived = resolve));
  // The send time travels in the value, so a record's latency is measured by its receiver alone.
  await client.declareConsumer({ stream, offset: Offset.next() }, (message) => {
    if (message.content.length < recordBytes) return warmedUp();
    latencies.push(latencySince(message.content));
    if (latencies.length === total) allArrived();
  });
  // Not measured: one record both ends see first, so the first delivery is behind them when the clock starts.
  await publisher.send(Buffer.alloc(1));
  await warm;
  await sendPaced(rate, Number(secondsArg), recordBytes, (value) => publisher.send(value));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([arrived, new Promise((resolve) => (timer = setTimeout(resolve, GRACE_MS)))]);
  clearTimeout(timer);
  return latency(rate, latencies);
}

const modes: Record<string, (client: Client) => Promise<unknown>> = { produce, consume, e2e: endToEnd };
const run = modes[mode];
if (!run) throw new Error(`mode is produce, consume or e2e, not ${mode}`);
const client = await connect({ hostname: '127.0.0.1', port: Number(port), username: 'guest', password: 'guest', vhost: '/' });
try {
  console.log(JSON.stringify(await run(client)));
} finally {
  await client.close();
}
