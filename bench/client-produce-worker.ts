// One client's produce throughput, in its own process so that no other client's work or garbage
// shares its event loop. Usage:
// client-produce-worker.ts CLIENT BOOTSTRAP TOPIC RECORDS RECORD_BYTES SEND_SIZE IN_FLIGHT
// Sends of SEND_SIZE keyed records, at most IN_FLIGHT of them outstanding, each client's default
// settings otherwise. Prints one JSON line.
import { ProduceAcks, Producer as PlatformaticProducer } from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import { Producer } from '../packages/client/src/index.ts';

const [client, bootstrap, topic, recordsArg, bytesArg, sendSizeArg, inFlightArg] = process.argv.slice(2);
const RECORDS = Number(recordsArg);
const SEND_SIZE = Number(sendSizeArg);
const IN_FLIGHT = Number(inFlightArg);
// Not timed: connections, metadata, producer id and JIT.
const WARM_UP_SENDS = 50;
const value = Buffer.alloc(Number(bytesArg), 'x');

/** Sends the records keyed `keys` and resolves once the broker has acknowledged them. */
type SendBatch = (keys: Buffer[]) => Promise<unknown>;

async function connect(): Promise<{ send: SendBatch; close: () => Promise<void> }> {
  if (client === 'millrace') {
    const producer = new Producer({ brokers: [bootstrap] });
    return { send: (keys) => producer.send(topic, keys.map((key) => ({ key, value }))), close: () => producer.close() };
  }
  if (client === 'kafkajs') {
    const kafka = new kafkajs.Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    return { send: (keys) => producer.send({ topic, acks: -1, messages: keys.map((key) => ({ key, value })) }), close: () => producer.disconnect() };
  }
  if (client === 'platformatic') {
    // Its default is acks=1 (Millrace fsyncs before answering either way); acks=all to match the others.
    const producer = new PlatformaticProducer({ clientId: 'bench', bootstrapBrokers: [bootstrap], acks: ProduceAcks.ALL });
    return { send: (keys) => producer.send({ messages: keys.map((key) => ({ topic, key, value })) }), close: () => producer.close() };
  }
  throw new Error(`unknown client ${client}`);
}

/** Sends records `from` to `to` (exclusive) from IN_FLIGHT concurrent loops of one send each. */
async function sendRange(send: SendBatch, from: number, to: number): Promise<void> {
  let next = from;
  async function lane(): Promise<void> {
    while (next < to) {
      const first = next;
      next = Math.min(to, next + SEND_SIZE);
      await send(Array.from({ length: next - first }, (_, i) => Buffer.from(`key-${first + i}`)));
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

const { send, close } = await connect();
const warmUp = WARM_UP_SENDS * SEND_SIZE;
await sendRange(send, 0, warmUp);
const started = process.hrtime.bigint();
await sendRange(send, warmUp, warmUp + RECORDS);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await close();
console.log(JSON.stringify({ client, records: RECORDS, bytes: RECORDS * value.length, seconds }));
