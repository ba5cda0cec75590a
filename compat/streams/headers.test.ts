// Headers pass through a Streams application as Kafka has them: a list in which a key may repeat
// and a value may be null, in order. kcat reads the output.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin, Producer } from '@millrace/client';
import { KafkaStreams, Serdes, StreamsBuilder } from '@millrace/streams';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat } from '../harness/kcat.ts';
import { until } from './run-workload.ts';

let broker: RunningBroker;

before(async () => {
  broker = await startBroker();
  const admin = new Admin({ brokers: [broker.bootstrap] });
  await admin.createTopics([{ topic: 'headers-in', partitions: 1 }, { topic: 'headers-out', partitions: 1 }]).finally(() => admin.close());
});

after(async () => {
  await broker?.dispose();
});

test('a record\'s headers, repeated keys and null values included, reach the output topic as they came', async () => {
  const producer = new Producer({ brokers: [broker.bootstrap] });
  await producer.send('headers-in', [{ key: 'k', value: 'v', headers: [{ key: 'hop', value: 'a' }, { key: 'none', value: null }, { key: 'hop', value: 'b' }] }]).finally(() => producer.close());
  const builder = new StreamsBuilder();
  builder.stream('headers-in', { key: Serdes.string(), value: Serdes.string() }).mapValues((v) => v.toUpperCase()).to('headers-out', { value: Serdes.string() });
  const app = new KafkaStreams(builder.build(), { applicationId: 'headers', brokers: [broker.bootstrap], commitIntervalMs: 200 });
  await app.start();
  try {
    await until('the record written', async () => (await consumeAllWithKcat(broker.bootstrap, 'headers-out')).length > 0);
    const [record] = await consumeAllWithKcat(broker.bootstrap, 'headers-out');
    assert.equal(record.payload, 'V');
    assert.deepEqual(record.headers, ['hop', 'a', 'none', null, 'hop', 'b']);
  } finally {
    await app.close();
  }
});
