// One client's consume throughput, in its own process. Usage:
// client-consume-worker.ts CLIENT BOOTSTRAP TOPIC PARTITIONS RECORDS
// Reads the topic from the beginning with each client's default settings: ours with the
// partitions assigned, KafkaJS and @platformatic/kafka in a new group of their own (they have no
// plain assignment API). The clock starts once the client has its partitions (assigned, or the
// group joined), so that group joins (KafkaJS waits out the broker's initial rebalance delay) do not
// count but every fetch does, and stops at the last record. Prints one JSON line.
import { Consumer as PlatformaticConsumer, MessagesStreamModes } from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import { Consumer } from '../packages/client/src/index.ts';

const [client, bootstrap, topic, partitionsArg, recordsArg] = process.argv.slice(2);
const PARTITIONS = Number(partitionsArg);
const RECORDS = Number(recordsArg);
const groupId = `bench-${client}-${process.pid}`;

let count = 0;
let bytes = 0;
let startedAt = 0n;
let done: () => void;
const finished = new Promise<void>((resolve) => (done = resolve));

function started(): void {
  startedAt = process.hrtime.bigint();
}

/** Counts what arrived; resolves `finished` once every record has. */
function got(records: number, size: number): void {
  count += records;
  bytes += size;
  if (count >= RECORDS) done();
}

/** Starts reading; returns how to stop. */
async function start(): Promise<() => Promise<void>> {
  if (client === 'millrace') {
    const consumer = new Consumer({ brokers: [bootstrap], autoOffsetReset: 'earliest' });
    started();
    consumer.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
    void (async () => {
      for await (const batch of consumer.batches()) {
        got(batch.records.length, batch.records.reduce((n, r) => n + (r.value?.length ?? 0), 0));
        if (count >= RECORDS) break;
      }
    })();
    return () => consumer.close();
  }
  if (client === 'kafkajs') {
    const kafka = new kafkajs.Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, started);
    await consumer.run({ eachBatch: async ({ batch }) => got(batch.messages.length, batch.messages.reduce((n, m) => n + (m.value?.length ?? 0), 0)) });
    return () => consumer.disconnect();
  }
  if (client === 'platformatic') {
    const consumer = new PlatformaticConsumer({ clientId: 'bench', groupId, bootstrapBrokers: [bootstrap] });
    // consume() resolves once the group is joined, and the stream fetches from then on.
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST });
    started();
    stream.on('data', (message: { value?: Buffer }) => got(1, message.value?.length ?? 0));
    return async () => {
      await stream.close();
      await consumer.close();
    };
  }
  throw new Error(`unknown client ${client}`);
}

const stop = await start();
await finished;
const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
await stop();
console.log(JSON.stringify({ client, records: count, bytes, seconds }));
