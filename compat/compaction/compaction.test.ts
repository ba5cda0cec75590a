// A compacted topic with real clients: KafkaJS (default settings) writes many updates and
// tombstones, in several codecs; after the broker's cleaner has run, kcat reads back exactly one
// record per live key with its newest value, and the deleted keys are gone. A keyless record is
// refused with INVALID_RECORD.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat, type KcatRecord } from '../harness/kcat.ts';
import { waitFor } from '../../packages/broker/src/test-support/wait-for.ts';

const { Kafka, logLevel, CompressionTypes } = kafkajs;
let broker: RunningBroker;
let kafka: InstanceType<typeof Kafka>;

before(async () => {
  broker = await startBroker({ args: ['--set', 'log.cleaner.backoff.ms=200'] });
  kafka = new Kafka({ clientId: 'millrace-compaction', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});

after(async () => {
  await broker?.dispose();
});

const KEYS = 60;
const ROUNDS = 12;

test('a compacted topic reads back as one newest value per live key; keyless records are refused', { timeout: 120_000 }, async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{
      topic: 'profiles', numPartitions: 2,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'segment.bytes', value: '8192' },
        { name: 'min.cleanable.dirty.ratio', value: '0.01' },
        { name: 'delete.retention.ms', value: '0' },
      ],
    }],
  });
  await admin.disconnect();

  const producer = kafka.producer();
  await producer.connect();
  const expected = new Map<string, string | null>();
  const codecs = [CompressionTypes.None, CompressionTypes.GZIP];
  let sent = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const messages = [];
      for (let k = 0; k < KEYS; k++) {
        // In the last round every fifth key is deleted.
        const value = round === ROUNDS - 1 && k % 5 === 0 ? null : `profile ${k} version ${round} ${'.'.repeat(k % 40)}`;
        messages.push({ key: `user-${k}`, value, headers: { round: String(round) } });
        expected.set(`user-${k}`, value);
      }
      await producer.send({ topic: 'profiles', compression: codecs[round % codecs.length], messages });
      sent += messages.length;
    }
    // Unrelated unique keys push the updates above out of the active segments, which compaction never touches.
    for (let i = 0; i < 200; i++) {
      await producer.send({ topic: 'profiles', messages: [{ key: `filler-${i}`, value: 'f'.repeat(100) }] });
      expected.set(`filler-${i}`, 'f'.repeat(100));
    }
    await assert.rejects(producer.send({ topic: 'profiles', messages: [{ value: 'no key' }] }), (err: { type?: string; name?: string }) => {
      assert.equal(err.type, 'INVALID_RECORD', `${err.name}: ${JSON.stringify(err)}`);
      return true;
    });
  } finally {
    await producer.disconnect();
  }

  const live = new Map([...expected].filter(([, v]) => v !== null));
  const compactedView = (records: KcatRecord[]) => {
    const updates = records.filter((r) => r.key?.startsWith('user-'));
    return { updates, tombstones: updates.filter((r) => r.payload === null) };
  };
  let records: KcatRecord[] = [];
  await waitFor('the cleaner to compact the updates', async () => {
    records = await consumeAllWithKcat(broker.bootstrap, 'profiles');
    const { updates, tombstones } = compactedView(records);
    return tombstones.length === 0 && updates.length === [...live.keys()].filter((k) => k.startsWith('user-')).length;
  }, 60_000, 500);
  assert.ok(records.length < sent, `compaction removed records: ${records.length} of ${sent + 200}`);
  const seen = new Map<string, string | null>();
  for (const r of records) {
    assert.ok(!seen.has(r.key!), `${r.key} appears once`);
    seen.set(r.key!, r.payload);
  }
  assert.deepEqual(new Map([...seen].sort()), new Map([...live].sort()), 'exactly the newest value of every live key');
  // Offsets only go up within a partition, with gaps where records were removed.
  for (const p of [0, 1]) {
    const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
  }

  // The compacted log is what a restarted broker serves.
  await broker.stop();
  await broker.restart();
  const again = await consumeAllWithKcat(broker.bootstrap, 'profiles');
  assert.deepEqual(again.map((r) => [r.partition, r.offset, r.key, r.payload]), records.map((r) => [r.partition, r.offset, r.key, r.payload]));
});
