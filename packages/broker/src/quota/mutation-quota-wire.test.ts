// controller_mutation_rate (KIP-599) as clients meet it: partitions created, added or deleted per
// second. Versions whose clients retry (CreateTopics v6+, DeleteTopics v5+, CreatePartitions v3+)
// are refused a topic with THROTTLING_QUOTA_EXCEEDED once over the quota; older ones are let
// through and told to wait. A topic is never half created: the one that crosses the quota is whole.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ApiKey, createAlterClientQuotasRequest, createAlterClientQuotasRequestEntityData, createAlterClientQuotasRequestEntryData, createAlterClientQuotasRequestOpData,
  createCreatePartitionsRequest, createCreatePartitionsRequestCreatePartitionsTopic, createCreateTopicsRequest, createCreateTopicsRequestCreatableTopic,
  createDeleteTopicsRequest, type AlterClientQuotasResponse, type CreatePartitionsResponse, type CreateTopicsResponse, type DeleteTopicsResponse, ErrorCode,
} from '@millrace/protocol';
import { Admin, KafkaError } from '@millrace/client';
import { startTestBroker, type TestBroker } from '../test-support/test-broker.ts';
import { WireClient } from '../test-support/wire-client.ts';

const RATE = 2;
let broker: TestBroker;
let admin: WireClient;

async function setRate(clientId: string, rate: number): Promise<void> {
  const r = await admin.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, createAlterClientQuotasRequest({
    validateOnly: false,
    entries: [createAlterClientQuotasRequestEntryData({
      entity: [createAlterClientQuotasRequestEntityData({ entityType: 'client-id', entityName: clientId })],
      ops: [createAlterClientQuotasRequestOpData({ key: 'controller_mutation_rate', value: rate, remove: false })],
    })],
  }));
  assert.equal(r.entries[0].errorCode, ErrorCode.NONE);
}

/** A client of its own, with its own quota, so that each test starts within it. */
async function quotaClient(name: string): Promise<WireClient> {
  await setRate(name, RATE);
  return WireClient.connect(broker.port, name);
}

function createTopics(client: WireClient, version: number, topics: [string, number][], validateOnly = false): Promise<CreateTopicsResponse> {
  return client.request<CreateTopicsResponse>(ApiKey.CreateTopics, version, createCreateTopicsRequest({
    timeoutMs: 5000, validateOnly,
    topics: topics.map(([name, numPartitions]) => createCreateTopicsRequestCreatableTopic({ name, numPartitions, replicationFactor: 1 })),
  }));
}

const errors = (r: { topics?: { errorCode: number }[] } & object) => r.topics!.map((t) => t.errorCode);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  // A burst of one second's worth (Kafka's default is eleven).
  broker = await startTestBroker({ 'controller.quota.window.num': '1' });
  admin = await WireClient.connect(broker.port);
});

after(async () => {
  admin?.close();
  await broker?.close();
});

test('CreateTopics v6: the topic that crosses the quota is created whole, the next ones are refused until the throttle time has passed', async () => {
  const client = await quotaClient('creator');
  try {
    const first = await createTopics(client, 6, [['big', 3], ['small-a', 1], ['small-b', 1]]);
    assert.deepEqual(errors(first), [ErrorCode.NONE, ErrorCode.THROTTLING_QUOTA_EXCEEDED, ErrorCode.THROTTLING_QUOTA_EXCEEDED]);
    assert.equal(first.topics[1].errorMessage, 'The throttling quota has been exceeded.');
    // 3 partitions at 2 a second with a burst of 1 s: half a second over.
    assert.ok(first.throttleTimeMs > 0 && first.throttleTimeMs <= 500, `throttle ${first.throttleTimeMs} ms`);
    await sleep(first.throttleTimeMs + 50);
    // Back within the quota: small-a goes ahead, which puts the client over it again.
    const retried = await createTopics(client, 6, [['small-a', 1], ['small-b', 1]]);
    assert.deepEqual(errors(retried), [ErrorCode.NONE, ErrorCode.THROTTLING_QUOTA_EXCEEDED]);
    assert.deepEqual(broker.broker.state.topics.list().map((t) => t.record.name).filter((n) => n.startsWith('big') || n.startsWith('small')).sort(), ['big', 'small-a']);
  } finally {
    client.close();
  }
});

test('CreateTopics v5, from clients that know no THROTTLING_QUOTA_EXCEEDED: every topic is created, and the client is told to wait', async () => {
  const client = await quotaClient('old-creator');
  try {
    const r = await createTopics(client, 5, [['old-a', 3], ['old-b', 3]]);
    assert.deepEqual(errors(r), [ErrorCode.NONE, ErrorCode.NONE]);
    // 6 partitions at 2 a second, 1 s of burst: 2 s to wait.
    assert.ok(r.throttleTimeMs > 1500 && r.throttleTimeMs <= 2000, `throttle ${r.throttleTimeMs} ms`);
  } finally {
    client.close();
  }
});

test('validate-only creations count nothing against the quota', async () => {
  const client = await quotaClient('validator');
  try {
    for (let i = 0; i < 3; i++) {
      const r = await createTopics(client, 6, [[`checked-${i}`, 10]], true);
      assert.deepEqual(errors(r), [ErrorCode.NONE]);
      assert.equal(r.throttleTimeMs, 0);
    }
  } finally {
    client.close();
  }
});

test('DeleteTopics v5 and CreatePartitions v3 count their partitions and refuse once over the quota', async () => {
  assert.deepEqual(errors(await createTopics(admin, 6, [['del-a', 2], ['del-b', 2], ['grow', 1]])), [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.NONE]);
  // The quota is the client id's, shared by its connections. A second connection asks while the
  // first is muted for its throttle time (KIP-219), in which it cannot ask at all.
  const deleter = await quotaClient('deleter');
  const deleterAgain = await WireClient.connect(broker.port, 'deleter');
  const grower = await quotaClient('grower');
  const growerAgain = await WireClient.connect(broker.port, 'grower');
  try {
    const deleted = await deleter.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 5, createDeleteTopicsRequest({ timeoutMs: 5000, topicNames: ['del-a', 'del-b'] }));
    // del-a's 2 partitions use exactly the burst, so the client is still within its quota and del-b goes ahead too.
    assert.deepEqual(deleted.responses.map((r) => [r.name, r.errorCode]), [['del-a', ErrorCode.NONE], ['del-b', ErrorCode.NONE]]);
    // Nothing refused: a strict request is not throttled, though the client is now over (as in Kafka).
    assert.equal(deleted.throttleTimeMs, 0);
    const again = await deleterAgain.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 5, createDeleteTopicsRequest({ timeoutMs: 5000, topicNames: ['grow'] }));
    assert.deepEqual(again.responses.map((r) => r.errorCode), [ErrorCode.THROTTLING_QUOTA_EXCEEDED]);
    assert.ok(again.throttleTimeMs > 0);

    const grown = await grower.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 3, createCreatePartitionsRequest({
      timeoutMs: 5000, validateOnly: false,
      topics: [createCreatePartitionsRequestCreatePartitionsTopic({ name: 'grow', count: 5, assignments: null })],
    }));
    assert.deepEqual(grown.results.map((r) => r.errorCode), [ErrorCode.NONE]);
    const more = await growerAgain.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 3, createCreatePartitionsRequest({
      timeoutMs: 5000, validateOnly: false,
      topics: [createCreatePartitionsRequestCreatePartitionsTopic({ name: 'grow', count: 6, assignments: null })],
    }));
    assert.deepEqual(more.results.map((r) => [r.errorCode, r.errorMessage]), [[ErrorCode.THROTTLING_QUOTA_EXCEEDED, 'The throttling quota has been exceeded.']]);
    assert.equal(broker.broker.state.topics.get('grow')!.partitions.length, 5);
  } finally {
    for (const c of [deleter, deleterAgain, grower, growerAgain]) c.close();
  }
});

test('our Admin asks again for what the quota refused, after the throttle time, until every topic is made or its timeout has passed', async () => {
  await setRate('patient', RATE);
  await setRate('hasty', RATE);
  const patient = new Admin({ brokers: [`127.0.0.1:${broker.port}`], clientId: 'patient' });
  const hasty = new Admin({ brokers: [`127.0.0.1:${broker.port}`], clientId: 'hasty' });
  try {
    const started = performance.now();
    const created = await patient.createTopics(['p-a', 'p-b', 'p-c', 'p-d'].map((topic) => ({ topic, partitions: 2 })));
    assert.deepEqual(created.map((t) => [t.topic, t.partitions]), [['p-a', 2], ['p-b', 2], ['p-c', 2], ['p-d', 2]]);
    // 8 partitions at 2 a second after a burst of 2: the last two waited for at least 2 s between them.
    assert.ok(performance.now() - started >= 1900, `took ${performance.now() - started} ms`);
    await patient.createPartitions([{ topic: 'p-a', count: 4 }, { topic: 'p-b', count: 4 }]);
    await patient.deleteTopics(['p-c', 'p-d']);
    assert.deepEqual((await patient.listTopics()).filter((t) => t.startsWith('p-')), ['p-a', 'p-b']);

    const refused = await hasty.createTopics(['h-a', 'h-b', 'h-c'].map((topic) => ({ topic, partitions: 2 })), { timeoutMs: 100 }).then(() => null, (err: unknown) => err);
    assert.ok(refused instanceof KafkaError && refused.errorCode === ErrorCode.THROTTLING_QUOTA_EXCEEDED && refused.message.includes('h-c'), String(refused));
  } finally {
    await patient.close();
    await hasty.close();
  }
});
