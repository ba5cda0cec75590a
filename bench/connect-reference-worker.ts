// The reference for the Connect benchmark: the same copy done by hand with our client. It sends the
// input file's lines to a topic (acks=all, idempotent) while a group member reads them back and
// appends them to the output file, fsyncing and committing once a second, as a sink would.
import { open, readFile } from 'node:fs/promises';
import { Consumer, Producer } from '../packages/client/src/index.ts';

const [bootstrap, input, topic, output] = process.argv.slice(2);
const lines = (await readFile(input, 'utf8')).split('\n').slice(0, -1);
const out = await open(output, 'a');
const consumer = new Consumer({ brokers: [bootstrap], groupId: `reference-${topic}`, autoOffsetReset: 'earliest', autoCommit: false });
consumer.subscribe([topic]);
const producer = new Producer({ brokers: [bootstrap] });
const sent = (async () => {
  for (let i = 0; i < lines.length; i += 2000) await producer.send(topic, lines.slice(i, i + 2000).map((value) => ({ value })));
  await producer.close();
})();
let written = 0;
let lastCommit = Date.now();
for await (const batch of consumer.batches()) {
  await out.write(batch.records.map((r) => `${r.value!.toString('utf8')}\n`).join(''));
  written += batch.records.length;
  if (written >= lines.length || Date.now() - lastCommit >= 1000) {
    await out.sync();
    await consumer.commit();
    lastCommit = Date.now();
  }
  if (written >= lines.length) break;
}
await sent;
await consumer.close();
await out.close();
