// KafkaJS 2.2.4 (default settings) against a real broker process: the admin client creates,
// describes, alters and deletes topics; the producer sends keyed records with headers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { runTool } from '../harness/run-tool.ts';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
let broker: RunningBroker;
let kafka: InstanceType<typeof Kafka>;

before(async () => {
  broker = await startBroker();
  kafka = new Kafka({ clientId: 'millrace-compat', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});

after(async () => {
  await broker?.dispose();
});

test('admin: create with configs, list, metadata, describe configs, add partitions, delete', { timeout: 60_000 }, async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] }), true);
    assert.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] }), false, 'an existing topic is not created again');
    await assert.rejects(admin.createTopics({ topics: [{ topic: 'bad', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] }), (err: { errors?: { type: string }[] }) => {
      assert.equal(err.errors?.[0]?.type, 'INVALID_CONFIG');
      return true;
    });
    assert.ok((await admin.listTopics()).includes('orders'));
    const metadata = await admin.fetchTopicMetadata({ topics: ['orders'] });
    assert.equal(metadata.topics[0].partitions.length, 3);

    const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders' }], includeSynonyms: false });
    const entries = new Map(described.resources[0].configEntries.map((e) => [e.configName, e]));
    assert.equal(entries.get('retention.ms')?.configValue, '3600000');
    assert.equal(entries.get('retention.ms')?.isDefault, false);
    assert.equal(entries.get('cleanup.policy')?.configValue, 'delete');
    assert.equal(entries.get('cleanup.policy')?.isDefault, true);
    assert.ok(entries.size >= 20, `every topic config is listed (${entries.size})`);

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configEntries: [{ name: 'retention.ms', value: '7200000' }] }] });
    const altered = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders', configNames: ['retention.ms'] }], includeSynonyms: false });
    assert.equal(altered.resources[0].configEntries[0].configValue, '7200000');

    await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 5 }] });
    assert.equal((await admin.fetchTopicMetadata({ topics: ['orders'] })).topics[0].partitions.length, 5);
    await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 2 }] }), (err: { type?: string }) => {
      assert.equal(err.type, 'INVALID_PARTITIONS');
      return true;
    });

    await admin.deleteTopics({ topics: ['orders'] });
    assert.ok(!(await admin.listTopics()).includes('orders'));
  } finally {
    await admin.disconnect();
  }
});

test('producer (acks=-1 by default) sends 1,000 keyed records with headers', { timeout: 60_000 }, async () => {
  const admin = kafka.admin();
  const producer = kafka.producer();
  await admin.connect();
  await producer.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 4 }] });
    for (let batch = 0; batch < 10; batch++) {
      const results = await producer.send({
        topic: 'events',
        messages: Array.from({ length: 100 }, (_, i) => ({ key: `user-${i % 13}`, value: `event-${batch * 100 + i}`, headers: { origin: 'kafkajs' } })),
      });
      assert.ok(results.every((r) => r.errorCode === 0));
    }
    const offsets = await admin.fetchTopicOffsets('events');
    assert.equal(offsets.reduce((sum, o) => sum + Number(o.high), 0), 1000);
    const { stdout } = await runTool('kcat', ['-b', broker.bootstrap, '-C', '-t', 'events', '-e', '-q', '-f', '%k %s %h\n'], { timeoutMs: 30_000 });
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 1000);
    assert.equal(new Set(lines.map((l) => l.split(' ')[1])).size, 1000);
    assert.ok(lines.every((l) => /^user-\d+ event-\d+ origin=kafkajs$/.test(l)), lines[0]);
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
});
