// The reference for the Streams benchmark: a plain consume-produce loop on our client (a group
// member that writes every record it reads to another topic and commits), the least any Streams
// application reading and writing the same records does.
import { Consumer, Producer } from '../packages/client/src/index.ts';

const [bootstrap, input, output] = process.argv.slice(2);
const producer = new Producer({ brokers: [bootstrap] });
const consumer = new Consumer({
  brokers: [bootstrap], groupId: 'reference', autoOffsetReset: 'earliest', autoCommit: true, autoCommitIntervalMs: 1000,
  onPartitionsAssigned: () => void process.stderr.write('RUNNING\n'),
});
consumer.subscribe([input]);
process.on('SIGTERM', () => void consumer.close().then(() => producer.close()).then(() => process.exit(0)));
for await (const batch of consumer.batches()) {
  await producer.send(output, batch.records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
}
