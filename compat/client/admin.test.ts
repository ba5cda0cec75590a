// The Millrace TypeScript admin client against a real broker process, checked by other clients:
// topics it creates are seen by kcat and confluent-kafka with their partitions and configs; a
// KafkaJS group is described with its member and decoded assignment, and its lag grows with new
// records; resetting its offsets makes a KafkaJS consumer read again from 0; deleteRecords moves the
// start kcat reads from; bad input fails with the broker's error code and names the topic.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import { Admin, ClientError, KafkaError, Producer } from '../../packages/client/src/index.ts';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';

let broker: RunningBroker;
let admin: Admin;
let kafka: InstanceType<typeof kafkajs.Kafka>;

before(async () => {
  broker = await startBroker({ args: ['--set', 'num.partitions=2', '--set', 'group.initial.rebalance.delay.ms=0'] });
  admin = new Admin({ brokers: [broker.bootstrap], clientId: 'admin-test' });
  kafka = new kafkajs.Kafka({ clientId: 'admin-test-kjs', brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING });
});

after(async () => {
  await admin?.close();
  await broker?.dispose();
});

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function produce(topic: string, records: { value: string; partition?: number; timestamp?: number }[]): Promise<void> {
  const producer = new Producer({ brokers: [broker.bootstrap], autoCreateTopics: false });
  try {
    await producer.send(topic, records);
  } finally {
    await producer.close();
  }
}

/** How many partitions kcat's listing of all topics shows for `topic` (null if it is not listed). */
async function kcatPartitions(topic: string): Promise<number | null> {
  // All topics: asking for one by name would let the broker auto-create it.
  const { stdout } = await runTool('kcat', ['-b', broker.bootstrap, '-L', '-J'], { timeoutMs: 20_000 });
  const t = (JSON.parse(stdout) as { topics: { topic: string; partitions: unknown[] }[] }).topics.find((x) => x.topic === topic);
  return t ? t.partitions.length : null;
}

const DESCRIBE_CONFIGS_PY = `
import json, sys
from confluent_kafka.admin import AdminClient, ConfigResource
admin = AdminClient({'bootstrap.servers': sys.argv[1]})
resource = ConfigResource('topic', sys.argv[2])
configs = admin.describe_configs([resource])[resource].result(timeout=20)
print(json.dumps({name: {'value': c.value, 'default': c.is_default} for name, c in configs.items()}))
`;

/** The topic's configs as confluent-kafka (librdkafka's admin API) reads them. */
async function pythonConfigs(topic: string): Promise<Record<string, { value: string; default: boolean }>> {
  const { stdout } = await runTool('/usr/bin/python3', ['-c', DESCRIBE_CONFIGS_PY, broker.bootstrap, topic], { timeoutMs: 30_000 });
  return JSON.parse(stdout) as Record<string, { value: string; default: boolean }>;
}

/** Runs `fn`, which must fail with a KafkaError; returns it. */
async function kafkaError(fn: () => Promise<unknown>): Promise<KafkaError> {
  const err = await fn().then(() => null, (e: unknown) => e);
  assert.ok(err instanceof KafkaError, `expected a KafkaError, got ${String(err)}`);
  return err;
}

test('topics: created with partitions and configs as kcat and confluent-kafka see them; described, listed, grown and deleted', { timeout: 60_000 }, async () => {
  const created = await admin.createTopics([
    { topic: 'admin-orders', partitions: 3, configs: { 'cleanup.policy': 'compact', 'retention.ms': '3600000' } },
    { topic: 'admin-plain' },
  ]);
  assert.deepEqual(created.map((c) => [c.topic, c.partitions, c.replicationFactor]), [['admin-orders', 3, 1], ['admin-plain', 2, 1]]);
  assert.ok(created.every((c) => typeof c.topicId === 'string' && c.topicId.length > 0));

  assert.equal(await kcatPartitions('admin-orders'), 3);
  const seen = await pythonConfigs('admin-orders');
  assert.deepEqual(seen['cleanup.policy'], { value: 'compact', default: false });
  assert.deepEqual(seen['retention.ms'], { value: '3600000', default: false });
  assert.equal(seen['segment.bytes'].default, true);

  const cluster = await admin.describeCluster();
  const [orders] = await admin.describeTopics(['admin-orders']);
  assert.equal(orders.topic, 'admin-orders');
  assert.equal(orders.topicId, created[0].topicId);
  assert.equal(orders.internal, false);
  assert.deepEqual(orders.partitions.map((p) => [p.partition, p.leader, p.replicas, p.isr]), [0, 1, 2].map((p) => [p, cluster.brokers[0].nodeId, [cluster.brokers[0].nodeId], [cluster.brokers[0].nodeId]]));

  const listed = await admin.listTopics();
  assert.ok(listed.includes('admin-orders') && listed.includes('admin-plain'), listed.join());

  await admin.createPartitions([{ topic: 'admin-orders', count: 5 }]);
  assert.equal(await kcatPartitions('admin-orders'), 5);
  assert.equal((await admin.describeTopics(['admin-orders']))[0].partitions.length, 5);

  const validated = await admin.createTopics([{ topic: 'admin-validated', partitions: 4 }], { validateOnly: true });
  assert.equal(validated[0].partitions, 4);
  assert.ok(!(await admin.listTopics()).includes('admin-validated'), 'validateOnly creates nothing');

  await admin.deleteTopics(['admin-plain']);
  assert.ok(!(await admin.listTopics()).includes('admin-plain'));
  assert.equal(await kcatPartitions('admin-plain'), null);
});

test('topic errors name the topic: TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_CONFIG, UNKNOWN_TOPIC_OR_PARTITION; several at once are an AggregateError', { timeout: 60_000 }, async () => {
  await admin.createTopics([{ topic: 'admin-errors', partitions: 1 }]);
  const exists = await kafkaError(() => admin.createTopics([{ topic: 'admin-errors' }]));
  assert.equal(exists.code, 'TOPIC_ALREADY_EXISTS');
  assert.equal(exists.topic, 'admin-errors');
  assert.match(exists.message, /admin-errors/);

  const negative = await kafkaError(() => admin.createTopics([{ topic: 'admin-negative', partitions: -5 }]));
  assert.deepEqual([negative.code, negative.topic], ['INVALID_PARTITIONS', 'admin-negative']);
  const badConfig = await kafkaError(() => admin.createTopics([{ topic: 'admin-bad-config', configs: { 'cleanup.policy': 'shred' } }]));
  assert.deepEqual([badConfig.code, badConfig.topic], ['INVALID_CONFIG', 'admin-bad-config']);

  // Two bad topics and a good one in one call: the good one is created, both failures are reported.
  const mixed = await admin.createTopics([{ topic: 'admin-errors' }, { topic: 'admin-mixed-ok' }, { topic: 'admin-mixed-bad', configs: { 'no.such.config': '1' } }]).then(() => null, (e: unknown) => e);
  assert.ok(mixed instanceof AggregateError, String(mixed));
  assert.deepEqual(mixed.errors.map((e: KafkaError) => [e.topic, e.code]), [['admin-errors', 'TOPIC_ALREADY_EXISTS'], ['admin-mixed-bad', 'INVALID_CONFIG']]);
  assert.ok((await admin.listTopics()).includes('admin-mixed-ok'));

  const unknown = await kafkaError(() => admin.describeTopics(['admin-nope']));
  assert.deepEqual([unknown.code, unknown.topic], ['UNKNOWN_TOPIC_OR_PARTITION', 'admin-nope']);
  assert.deepEqual(await admin.listTopics().then((t) => t.includes('admin-nope')), false, 'describing a topic does not create it');
  const deleteUnknown = await kafkaError(() => admin.deleteTopics(['admin-nope']));
  assert.deepEqual([deleteUnknown.code, deleteUnknown.topic], ['UNKNOWN_TOPIC_OR_PARTITION', 'admin-nope']);
  const shrink = await kafkaError(() => admin.createPartitions([{ topic: 'admin-errors', count: 1 }]));
  assert.deepEqual([shrink.code, shrink.topic], ['INVALID_PARTITIONS', 'admin-errors']);
  const configsUnknown = await kafkaError(() => admin.describeConfigs([{ type: 'topic', name: 'admin-nope' }]));
  assert.deepEqual([configsUnknown.code, configsUnknown.topic], ['UNKNOWN_TOPIC_OR_PARTITION', 'admin-nope']);
  const offsetsUnknown = await kafkaError(() => admin.listOffsets('admin-nope', 'latest'));
  assert.deepEqual([offsetsUnknown.code, offsetsUnknown.topic], ['UNKNOWN_TOPIC_OR_PARTITION', 'admin-nope']);

  await assert.rejects(admin.createTopics([{ topic: '' }]), (e: unknown) => e instanceof ClientError && e.code === 'MILLRACE_INVALID_ARGUMENT');
  await assert.rejects(admin.deleteRecords({ topic: 'admin-errors', partitions: { 0: -3 } }), (e: unknown) => e instanceof ClientError && e.code === 'MILLRACE_INVALID_ARGUMENT');
});

test('configs: sources, defaults and synonyms are described; incremental set, delete, append and subtract are what confluent-kafka reads back', { timeout: 60_000 }, async () => {
  await admin.createTopics([{ topic: 'admin-configs', configs: { 'retention.ms': '60000', 'max.message.bytes': '2048' } }]);
  const [described] = await admin.describeConfigs([{ type: 'topic', name: 'admin-configs' }], { synonyms: true });
  assert.deepEqual([described.type, described.name], ['topic', 'admin-configs']);
  const retention = described.configs['retention.ms'];
  assert.deepEqual([retention.value, retention.source, retention.isDefault, retention.readOnly, retention.isSensitive], ['60000', 'DYNAMIC_TOPIC_CONFIG', false, false, false]);
  assert.deepEqual(retention.synonyms?.map((s) => [s.name, s.source]), [['retention.ms', 'DYNAMIC_TOPIC_CONFIG'], ['log.retention.ms', 'DEFAULT_CONFIG']]);
  assert.deepEqual([described.configs['segment.bytes'].source, described.configs['segment.bytes'].isDefault], ['DEFAULT_CONFIG', true]);

  const only = await admin.describeConfigs([{ type: 'topic', name: 'admin-configs', keys: ['cleanup.policy'] }]);
  assert.deepEqual(Object.keys(only[0].configs), ['cleanup.policy']);
  assert.equal(only[0].configs['cleanup.policy'].synonyms, undefined, 'synonyms only when asked');

  const { controller } = await admin.describeCluster();
  const [brokerConfigs] = await admin.describeConfigs([{ type: 'broker', name: String(controller!.nodeId), keys: ['num.partitions'] }]);
  assert.deepEqual(brokerConfigs.configs['num.partitions'], { name: 'num.partitions', value: '2', source: 'STATIC_BROKER_CONFIG', isDefault: false, isSensitive: false, readOnly: true });

  await admin.incrementalAlterConfigs([{ type: 'topic', name: 'admin-configs', set: { 'max.message.bytes': '4096' }, delete: ['retention.ms'], append: { 'cleanup.policy': 'compact' } }]);
  let seen = await pythonConfigs('admin-configs');
  assert.deepEqual(seen['max.message.bytes'], { value: '4096', default: false });
  assert.equal(seen['retention.ms'].default, true);
  assert.deepEqual(seen['cleanup.policy'], { value: 'delete,compact', default: false });
  await admin.incrementalAlterConfigs([{ type: 'topic', name: 'admin-configs', subtract: { 'cleanup.policy': 'delete' } }]);
  seen = await pythonConfigs('admin-configs');
  assert.equal(seen['cleanup.policy'].value, 'compact');

  const invalid = await kafkaError(() => admin.incrementalAlterConfigs([{ type: 'topic', name: 'admin-configs', set: { 'retention.ms': 'forever' } }]));
  assert.deepEqual([invalid.code, invalid.topic], ['INVALID_CONFIG', 'admin-configs']);
  assert.equal((await pythonConfigs('admin-configs'))['retention.ms'].default, true, 'a refused change changes nothing');
});

test('groups: a KafkaJS group is listed and described with its member and decoded assignment; its lag grows with new records', { timeout: 60_000 }, async () => {
  await admin.createTopics([{ topic: 'admin-group', partitions: 2 }]);
  await produce('admin-group', Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })));
  const consumed: string[] = [];
  const consumer = kafka.consumer({ groupId: 'admin-kjs', heartbeatInterval: 500 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: 'admin-group', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void consumed.push(message.value!.toString()) });
    await until('KafkaJS to commit all 10 records', async () => (await admin.fetchOffsets('admin-kjs')).reduce((n, o) => n + o.offset, 0) === 10);
    assert.equal(consumed.length, 10);

    const listed = await admin.listGroups();
    assert.deepEqual(listed.find((g) => g.groupId === 'admin-kjs'), { groupId: 'admin-kjs', protocolType: 'consumer', state: 'Stable' });
    assert.ok(!(await admin.listGroups({ states: ['Empty'] })).some((g) => g.groupId === 'admin-kjs'), 'the state filter');

    const [group] = await admin.describeGroups(['admin-kjs']);
    assert.deepEqual([group.groupId, group.state, group.protocolType, group.protocol], ['admin-kjs', 'Stable', 'consumer', 'RoundRobinAssigner']);
    assert.equal(group.members.length, 1);
    const [member] = group.members;
    assert.equal(member.clientId, 'admin-test-kjs');
    assert.match(member.host, /127\.0\.0\.1/);
    assert.ok(member.memberId.startsWith('admin-test-kjs'), member.memberId);
    assert.equal(member.groupInstanceId, null);
    assert.deepEqual(member.assignment?.partitions, [{ topic: 'admin-group', partitions: [0, 1] }]);

    assert.deepEqual((await admin.fetchOffsets('admin-kjs', ['admin-group'])).map((o) => [o.topic, o.partition, o.offset]), [['admin-group', 0, 5], ['admin-group', 1, 5]]);
    assert.deepEqual((await admin.groupLag('admin-kjs')).map((l) => l.lag), [0, 0]);

    // A group with members can be neither deleted nor reset: the broker's error comes through.
    assert.equal((await kafkaError(() => admin.deleteGroups(['admin-kjs']))).code, 'NON_EMPTY_GROUP');
    const reset = await kafkaError(() => admin.resetOffsets('admin-kjs', { topic: 'admin-group', to: 'earliest' }));
    assert.equal(reset.code, 'UNKNOWN_MEMBER_ID');
    assert.match(reset.message, /admin-kjs.*members/);
    const offsetDelete = await kafkaError(() => admin.deleteOffsets('admin-kjs', 'admin-group', [0]));
    assert.deepEqual([offsetDelete.code, offsetDelete.topic, offsetDelete.partition], ['GROUP_SUBSCRIBED_TO_TOPIC', 'admin-group', 0]);
  } finally {
    await consumer.disconnect();
  }
  const [left] = await admin.describeGroups(['admin-kjs']);
  assert.deepEqual([left.state, left.members.length], ['Empty', 0]);

  await produce('admin-group', [...Array.from({ length: 3 }, () => ({ value: 'p0', partition: 0 })), ...Array.from({ length: 4 }, () => ({ value: 'p1', partition: 1 }))]);
  assert.deepEqual(await admin.groupLag('admin-kjs'), [
    { topic: 'admin-group', partition: 0, committed: 5, logEndOffset: 8, lag: 3 },
    { topic: 'admin-group', partition: 1, committed: 5, logEndOffset: 9, lag: 4 },
  ]);
  assert.deepEqual(await admin.describeGroups(['admin-never-seen']).then((g) => g[0].state), 'Dead');
});

test('resetOffsets to earliest makes a KafkaJS consumer of the group read again from 0; latest, a timestamp and explicit offsets land where ListOffsets says', { timeout: 60_000 }, async () => {
  await admin.createTopics([{ topic: 'admin-reset', partitions: 2 }]);
  const base = Date.now() - 60_000;
  // One batch per record: Millrace looks timestamps up batch by batch, answering a batch's base offset.
  const producer = new Producer({ brokers: [broker.bootstrap], lingerMs: 0 });
  for (let i = 0; i < 20; i++) await producer.send('admin-reset', [{ value: `v${i}`, partition: i % 2, timestamp: base + i * 1000 }]);
  await producer.close();
  const read = async (expected: number) => {
    const seen: { partition: number; offset: number }[] = [];
    const consumer = kafka.consumer({ groupId: 'admin-resetters', heartbeatInterval: 500 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'admin-reset', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ partition, message }) => void seen.push({ partition, offset: Number(message.offset) }) });
      await until(`${expected} records`, () => seen.length >= expected);
      await until('the commit', async () => (await admin.fetchOffsets('admin-resetters')).reduce((n, o) => n + o.offset, 0) === 20);
    } finally {
      await consumer.disconnect();
    }
    return seen;
  };
  assert.equal((await read(20)).length, 20);

  const reset = await admin.resetOffsets('admin-resetters', { topic: 'admin-reset', to: 'earliest' });
  assert.deepEqual(reset, [{ topic: 'admin-reset', partition: 0, offset: 0 }, { topic: 'admin-reset', partition: 1, offset: 0 }]);
  const again = await read(20);
  assert.equal(again.length, 20, 'every record read again, none twice');
  for (const p of [0, 1]) assert.equal(again.find((r) => r.partition === p)?.offset, 0, `partition ${p} starts again at 0`);

  // Record i sits in partition i % 2 at offset i >> 1: the first at or after record 7's time is 7 (p1, offset 3) and 8 (p0, offset 4).
  const byTime = await admin.resetOffsets('admin-resetters', { topic: 'admin-reset', to: { timestamp: base + 7000 } });
  assert.deepEqual(byTime.map((o) => o.offset), [4, 3]);
  assert.deepEqual((await admin.listOffsets('admin-reset', { timestamp: base + 7000 })).map((o) => o.offset), [4, 3]);
  assert.deepEqual((await admin.resetOffsets('admin-resetters', { topic: 'admin-reset', to: { timestamp: Date.now() + 3_600_000 } })).map((o) => o.offset), [10, 10], 'a time after the last record: the end');
  await admin.resetOffsets('admin-resetters', { topic: 'admin-reset', to: 'earliest' });
  assert.deepEqual((await admin.resetOffsets('admin-resetters', { topic: 'admin-reset', to: 'latest' })).map((o) => o.offset), [10, 10]);
  await admin.resetOffsets('admin-resetters', { topic: 'admin-reset', to: { offsets: { 1: 6 } } });
  assert.deepEqual((await admin.fetchOffsets('admin-resetters')).map((o) => [o.partition, o.offset]), [[0, 10], [1, 6]]);
  const read6 = await read(4);
  assert.deepEqual(read6.map((r) => [r.partition, r.offset]), [[1, 6], [1, 7], [1, 8], [1, 9]]);

  const badPartition = await kafkaError(() => admin.resetOffsets('admin-resetters', { topic: 'admin-reset', to: { offsets: { 7: 0 } } }));
  assert.deepEqual([badPartition.code, badPartition.topic, badPartition.partition], ['UNKNOWN_TOPIC_OR_PARTITION', 'admin-reset', 7]);
});

test('deleteRecords moves the start kcat reads from; listOffsets agrees; deleteOffsets and deleteGroups remove what a group committed', { timeout: 60_000 }, async () => {
  await admin.createTopics([{ topic: 'admin-trim', partitions: 2 }]);
  await produce('admin-trim', Array.from({ length: 20 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })));
  const trimmed = await admin.deleteRecords({ topic: 'admin-trim', partitions: { 0: 4, 1: 'latest' } });
  assert.deepEqual(trimmed, [{ partition: 0, lowWatermark: 4 }, { partition: 1, lowWatermark: 10 }]);
  const left = await consumeAllWithKcat(broker.bootstrap, 'admin-trim');
  assert.deepEqual(left.map((r) => [r.partition, r.offset, r.payload]), [4, 5, 6, 7, 8, 9].map((o) => [0, o, `v${o * 2}`]));
  assert.deepEqual(await admin.listOffsets('admin-trim', 'earliest'), [{ partition: 0, offset: 4 }, { partition: 1, offset: 10 }]);
  assert.deepEqual(await admin.listOffsets('admin-trim', 'latest', { isolation: 'read_committed' }), [{ partition: 0, offset: 10 }, { partition: 1, offset: 10 }]);
  const beyond = await kafkaError(() => admin.deleteRecords({ topic: 'admin-trim', partitions: { 0: 11 } }));
  assert.deepEqual([beyond.code, beyond.topic, beyond.partition], ['OFFSET_OUT_OF_RANGE', 'admin-trim', 0]);

  // A group made only of committed offsets (as an admin tool makes it): offsets deleted one partition, then the group.
  await admin.resetOffsets('admin-offsets-only', { topic: 'admin-trim', to: 'latest' });
  assert.ok((await admin.listGroups()).some((g) => g.groupId === 'admin-offsets-only' && g.state === 'Empty'));
  await admin.deleteOffsets('admin-offsets-only', 'admin-trim', [0]);
  assert.deepEqual((await admin.fetchOffsets('admin-offsets-only')).map((o) => o.partition), [1]);
  await admin.deleteGroups(['admin-offsets-only']);
  assert.ok(!(await admin.listGroups()).some((g) => g.groupId === 'admin-offsets-only'));
  assert.deepEqual(await admin.fetchOffsets('admin-offsets-only'), []);
  assert.equal((await kafkaError(() => admin.deleteGroups(['admin-offsets-only']))).code, 'GROUP_ID_NOT_FOUND');
});

const CLUSTER_PY = `
import json, sys
from confluent_kafka.admin import AdminClient
md = AdminClient({'bootstrap.servers': sys.argv[1]}).list_topics(timeout=20)
print(json.dumps({'cluster_id': md.cluster_id, 'controller_id': md.controller_id, 'brokers': [[b.id, b.host, b.port] for b in md.brokers.values()]}))
`;

test('describeCluster names the cluster, controller and brokers as confluent-kafka sees them; internal topics are listed only when asked', { timeout: 60_000 }, async () => {
  const ours = await admin.describeCluster();
  const { stdout } = await runTool('/usr/bin/python3', ['-c', CLUSTER_PY, broker.bootstrap], { timeoutMs: 30_000 });
  const theirs = JSON.parse(stdout) as { cluster_id: string; controller_id: number; brokers: [number, string, number][] };
  assert.ok(ours.clusterId && ours.clusterId.length > 0);
  assert.equal(ours.clusterId, theirs.cluster_id);
  assert.equal(ours.controller?.nodeId, theirs.controller_id);
  assert.deepEqual(ours.brokers.map((b) => [b.nodeId, b.host, b.port]), theirs.brokers);
  assert.equal(ours.brokers[0].port, broker.port);

  // Committed offsets live in __consumer_offsets.
  await admin.createTopics([{ topic: 'admin-internal' }]);
  await admin.resetOffsets('admin-internal', { topic: 'admin-internal', to: 'earliest' });
  assert.ok(!(await admin.listTopics()).includes('__consumer_offsets'));
  assert.ok((await admin.listTopics({ includeInternal: true })).includes('__consumer_offsets'));
  const [offsets] = await admin.describeTopics(['__consumer_offsets']);
  assert.equal(offsets.internal, true);
});

test('calls made at once share one connection per broker, and close leaves no socket open', { timeout: 30_000 }, async () => {
  const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
  await admin.createTopics([{ topic: 'shared-connection', partitions: 2 }]);
  const before = sockets();
  const fresh = new Admin({ brokers: [broker.bootstrap] });
  const [a, b] = await Promise.all([fresh.listOffsets('shared-connection', 'earliest'), fresh.listOffsets('shared-connection', 'latest'), fresh.describeConfigs([{ type: 'topic', name: 'shared-connection' }])]);
  assert.equal(a.length, 2);
  assert.equal(b.length, 2);
  // One connection for bootstrapping and one to broker 0: more means two calls each opened their own.
  assert.ok(sockets() - before <= 2, `${sockets() - before} sockets for one broker`);
  await fresh.close();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(sockets(), before);
});
