// Produces unique values with acks=all and idempotence through KafkaJS or the Millrace client,
// with each library's defaults otherwise, until stdin closes; prints every acknowledged record as
// a JSON line {"p": partition, "o": offset, "v": value} (as acked_producer.py does for librdkafka).
//
// Usage: node acked-producer.ts kafkajs|millrace BOOTSTRAP TOPIC
// Values are value-N, sent 30 at a time: by the Millrace client to partition N % 3, by KafkaJS all
// 30 to one partition, the next 30 to the next. KafkaJS 2.2 tracks a send's answers per broker, so
// a send spanning partitions whose leader moves to a broker that already answered for the others
// resolves without writing that partition (tulios/kafkajs#1303); one partition per send avoids it.
import { Producer } from '@millrace/client';
import kafkajs from 'kafkajs';

const [library, bootstrap, topic] = process.argv.slice(2);
const brokers = bootstrap.split(',');
const PARTITIONS = 3;
/** Records per send call. */
const SEND_SIZE = 30;

type Send = (values: string[]) => Promise<{ p: number; o: number; v: string }[]>;

const partitionOf = (value: string) => {
  const n = Number(value.slice('value-'.length));
  return library === 'kafkajs' ? Math.floor(n / SEND_SIZE) % PARTITIONS : n % PARTITIONS;
};

async function kafkajsSender(): Promise<{ send: Send; close(): Promise<void> }> {
  const kafka = new kafkajs.Kafka({ clientId: 'acked-producer', brokers, logLevel: kafkajs.logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  return {
    async send(values) {
      const answers = await producer.send({ topic, acks: -1, messages: values.map((v) => ({ value: v, partition: partitionOf(v) })) });
      // KafkaJS answers with each partition's base offset; a partition's records of one send are one batch, in order.
      const base = new Map(answers.map((a) => [a.partition, Number(a.baseOffset)]));
      const next = new Map<number, number>();
      return values.map((v) => {
        const p = partitionOf(v);
        const k = next.get(p) ?? 0;
        next.set(p, k + 1);
        return { p, o: base.get(p)! + k, v };
      });
    },
    close: () => producer.disconnect(),
  };
}

async function millraceSender(): Promise<{ send: Send; close(): Promise<void> }> {
  const producer = new Producer({ brokers, clientId: 'acked-producer' });
  return {
    async send(values) {
      const written = await producer.send(topic, values.map((v) => ({ value: v, partition: partitionOf(v) })));
      return written.map((w, i) => ({ p: w.partition, o: w.offset, v: values[i] }));
    },
    close: () => producer.close(),
  };
}

const sender = library === 'kafkajs' ? await kafkajsSender() : await millraceSender();
// KafkaJS keeps an idempotent producer's order only with one send at a time; the Millrace client
// orders concurrent sends itself, so it gets several.
const concurrency = library === 'kafkajs' ? 1 : 8;
let stopping = false;
process.stdin.on('data', () => {}).on('end', () => {
  stopping = true;
});
let sent = 0;
let failed = 0;
async function loop(): Promise<void> {
  while (!stopping) {
    const values = Array.from({ length: SEND_SIZE }, () => `value-${sent++}`);
    try {
      for (const a of await sender.send(values)) process.stdout.write(`${JSON.stringify(a)}\n`);
    } catch (err) {
      // Not acknowledged: these values may or may not be written; the checker asks only about acknowledged ones.
      if (failed === 0) process.stderr.write(`first failed send: ${(err as Error).message}\n`);
      failed += values.length;
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, loop));
await sender.close();
process.stdout.write(`${JSON.stringify({ sent, failed })}\n`);
