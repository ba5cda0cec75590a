// Client quotas and connection limits as a client meets them on the wire: AlterClientQuotas and
// DescribeClientQuotas, throttle_time_ms on produce, fetch and request time, the muted connection
// (KIP-219) or the held-back answer for older versions, and connections refused over a limit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  type AlterClientQuotasResponse, ApiKey, createAlterClientQuotasRequest, createAlterClientQuotasRequestEntityData, createAlterClientQuotasRequestEntryData,
  createAlterClientQuotasRequestOpData, createCreateTopicsRequest, createCreateTopicsRequestCreatableTopic, createDescribeClientQuotasRequest,
  createDescribeClientQuotasRequestComponentData, createFetchRequest, createFetchRequestFetchPartition, createFetchRequestFetchTopic, createMetadataRequest,
  createProduceRequest, createProduceRequestPartitionProduceData, createProduceRequestTopicProduceData, type DescribeClientQuotasResponse, ErrorCode,
  type FetchResponse, type MetadataResponse, type ProduceResponse,
} from '@millrace/protocol';
import { testBatch } from '../../../storage/src/test-batches.ts';
import { startTestBroker, type TestBroker } from '../test-support/test-broker.ts';
import { WireClient } from '../test-support/wire-client.ts';

const TOPIC = 'quota-topic';
let broker: TestBroker;
let admin: WireClient;

type Entity = Record<string, string | null>;
const entityData = (entity: Entity) => Object.entries(entity).map(([entityType, entityName]) => createAlterClientQuotasRequestEntityData({ entityType, entityName }));

async function alter(entries: { entity: Entity; set?: Record<string, number>; remove?: string[] }[], validateOnly = false, client = admin): Promise<AlterClientQuotasResponse> {
  return client.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, createAlterClientQuotasRequest({
    validateOnly,
    entries: entries.map((e) => createAlterClientQuotasRequestEntryData({
      entity: entityData(e.entity),
      ops: [
        ...Object.entries(e.set ?? {}).map(([key, value]) => createAlterClientQuotasRequestOpData({ key, value, remove: false })),
        ...(e.remove ?? []).map((key) => createAlterClientQuotasRequestOpData({ key, value: 0, remove: true })),
      ],
    })),
  }));
}

async function describeAll(client = admin): Promise<{ entity: Entity; values: Record<string, number> }[]> {
  const r = await client.request<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, 1, createDescribeClientQuotasRequest({ components: [], strict: false }));
  assert.equal(r.errorCode, ErrorCode.NONE);
  return r.entries!.map((e) => ({ entity: Object.fromEntries(e.entity.map((p) => [p.entityType, p.entityName])), values: Object.fromEntries(e.values.map((v) => [v.key, v.value])) }));
}

function produce(client: WireClient, version: number, payloadBytes: number): Promise<ProduceResponse> {
  return client.request<ProduceResponse>(ApiKey.Produce, version, createProduceRequest({
    acks: 1, timeoutMs: 5000,
    topicData: [createProduceRequestTopicProduceData({ name: TOPIC, partitionData: [createProduceRequestPartitionProduceData({ index: 0, records: testBatch({ records: 1, payloadBytes }) })] })],
  }));
}

function fetch(client: WireClient, fetchOffset: bigint, maxBytes = 1 << 20): Promise<FetchResponse> {
  return client.request<FetchResponse>(ApiKey.Fetch, 12, createFetchRequest({
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes,
    topics: [createFetchRequestFetchTopic({ topic: TOPIC, partitions: [createFetchRequestFetchPartition({ partition: 0, fetchOffset, partitionMaxBytes: maxBytes })] })],
  }));
}

async function timed<T>(action: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await action();
  return [result, performance.now() - start];
}

/** Every quota on the broker removed, so each test starts from none. */
async function clearQuotas(): Promise<void> {
  const entries = await describeAll();
  if (entries.length > 0) await alter(entries.map((e) => ({ entity: e.entity, remove: Object.keys(e.values) })));
}

before(async () => {
  broker = await startTestBroker();
  admin = await WireClient.connect(broker.port);
  await admin.request(ApiKey.CreateTopics, 5, createCreateTopicsRequest({ timeoutMs: 5000, topics: [createCreateTopicsRequestCreatableTopic({ name: TOPIC, numPartitions: 1, replicationFactor: 1 })] }));
});

after(async () => {
  admin?.close();
  await broker?.close();
});

test('AlterClientQuotas sets and removes, each entity on its own; DescribeClientQuotas lists; both survive a restart', async () => {
  const r = await alter([
    { entity: { user: 'alice' }, set: { producer_byte_rate: 1048576, consumer_byte_rate: 2097152 } },
    { entity: { user: null, 'client-id': null }, set: { request_percentage: 50 } },
    { entity: { ip: '10.1.2.3' }, set: { connection_creation_rate: 5 } },
    { entity: { user: 'bob' }, set: { producer_byte_rate: 1.5 } },
    { entity: { topic: 'x' }, set: { producer_byte_rate: 1 } },
    { entity: { user: 'alice' }, set: { request_percentage: 1 } },
  ]);
  assert.deepEqual(r.entries.map((e) => [e.errorCode, e.errorMessage]), [
    [ErrorCode.NONE, null], [ErrorCode.NONE, null], [ErrorCode.NONE, null],
    [ErrorCode.INVALID_REQUEST, 'Configuration producer_byte_rate must be a Long value'],
    [ErrorCode.INVALID_REQUEST, 'Unhandled client quota entity type: topic'],
    [ErrorCode.INVALID_REQUEST, 'Ignoring duplicate entity'],
  ]);
  assert.deepEqual((await alter([{ entity: { user: 'carol' }, set: { producer_byte_rate: 10 } }], true)).entries[0].errorCode, ErrorCode.NONE);
  const expected = [
    { entity: { user: 'alice' }, values: { producer_byte_rate: 1048576, consumer_byte_rate: 2097152 } },
    { entity: { user: null, 'client-id': null }, values: { request_percentage: 50 } },
    { entity: { ip: '10.1.2.3' }, values: { connection_creation_rate: 5 } },
  ];
  assert.deepEqual(await describeAll(), expected, 'validate_only stored nothing');
  const filtered = await admin.request<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, 1, createDescribeClientQuotasRequest({
    components: [createDescribeClientQuotasRequestComponentData({ entityType: 'user', matchType: 1, match: null })], strict: false,
  }));
  assert.deepEqual(filtered.entries!.map((e) => e.entity.map((p) => [p.entityType, p.entityName])), [[['user', null], ['client-id', null]]]);
  const bad = await admin.request<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, 0, createDescribeClientQuotasRequest({
    components: [createDescribeClientQuotasRequestComponentData({ entityType: 'user', matchType: 0, match: null })], strict: false,
  }));
  assert.equal(bad.errorCode, ErrorCode.INVALID_REQUEST);
  assert.match(bad.errorMessage!, /MATCH_TYPE_EXACT/);

  admin.close();
  broker = await broker.restart();
  admin = await WireClient.connect(broker.port);
  assert.deepEqual(await describeAll(), expected, 'after a restart');
  await alter([{ entity: { user: 'alice' }, remove: ['producer_byte_rate'] }, { entity: { user: null, 'client-id': null }, remove: ['request_percentage'] }]);
  assert.deepEqual((await describeAll()).map((e) => e.entity), [{ user: 'alice' }, { ip: '10.1.2.3' }], 'an entity left with no value is gone');
  await clearQuotas();
});

test('a producer over its byte rate is told throttle_time_ms and not read from that long; an old client gets its answer late instead', async () => {
  // The wire client sends client id "wire-test"; the broker's user for a PLAINTEXT client is ANONYMOUS.
  await alter([{ entity: { user: 'ANONYMOUS', 'client-id': 'wire-test' }, set: { producer_byte_rate: 20_000 } }]);
  const client = await WireClient.connect(broker.port);
  try {
    // 30 KB at 20 KB/s with one second of burst: half a second over.
    const first = await produce(client, 9, 30_000);
    assert.equal(first.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
    assert.ok(first.throttleTimeMs >= 400 && first.throttleTimeMs <= 600, `throttle ${first.throttleTimeMs} ms`);
    const [metadata, mutedMs] = await timed(() => client.request<MetadataResponse>(ApiKey.Metadata, 12, createMetadataRequest({ topics: null })));
    assert.equal(metadata.throttleTimeMs, 0, 'a metadata request costs no bytes');
    assert.ok(mutedMs >= first.throttleTimeMs - 100, `the next request was read after ${mutedMs} ms`);

    // Produce v5 predates client-side throttling (KIP-219): the answer itself waits.
    const [old, oldMs] = await timed(() => produce(client, 5, 30_000));
    assert.ok(old.throttleTimeMs > 1000, `throttle ${old.throttleTimeMs} ms`);
    assert.ok(oldMs >= old.throttleTimeMs - 100, `answered after ${oldMs} ms for a throttle of ${old.throttleTimeMs} ms`);

    const other = await WireClient.connect(broker.port);
    await alter([{ entity: { user: 'ANONYMOUS', 'client-id': 'wire-test' }, remove: ['producer_byte_rate'] }]);
    assert.equal((await produce(other, 9, 30_000)).throttleTimeMs, 0, 'no quota, no throttle');
    other.close();
  } finally {
    client.close();
    await clearQuotas();
  }
});

test('a consumer over its byte rate is sent what its quota allows and told to wait; another connection of the same client meanwhile gets an empty answer', async () => {
  const producer = await WireClient.connect(broker.port);
  const from = (await produce(producer, 9, 4_000)).responses[0].partitionResponses[0].baseOffset;
  for (let i = 0; i < 3; i++) await produce(producer, 9, 4_000);
  producer.close();
  await alter([{ entity: { 'client-id': null }, set: { consumer_byte_rate: 6_000 } }]);
  const client = await WireClient.connect(broker.port);
  const second = await WireClient.connect(broker.port);
  try {
    const first = await fetch(client, from);
    const records = first.responses[0].partitions[0].records!;
    assert.ok(records.length > 0 && records.length <= 6_000, `the first fetch carried ${records.length} bytes, within one second's quota`);
    assert.equal(first.throttleTimeMs, 0);
    const over = await fetch(client, from);
    assert.ok(over.responses[0].partitions[0].records!.length > 0, 'a fetch always carries its first batch');
    assert.ok(over.throttleTimeMs > 0, 'and then the client is over its quota');
    // The client id's quota is shared by its connections: one that asks while the first waits gets nothing.
    const empty = await fetch(second, from);
    assert.ok(empty.throttleTimeMs > 0);
    assert.deepEqual(empty.responses, [], 'a throttled fetch is answered empty, as Kafka answers it');
  } finally {
    client.close();
    second.close();
    await clearQuotas();
  }
});

test('request_percentage throttles a client by the time the broker spends on its requests', async () => {
  await alter([{ entity: { user: null }, set: { request_percentage: 0.01 } }]);
  const client = await WireClient.connect(broker.port);
  try {
    let throttled = 0;
    for (let i = 0; i < 50 && throttled === 0; i++) throttled = (await client.request<MetadataResponse>(ApiKey.Metadata, 12, createMetadataRequest({ topics: null }))).throttleTimeMs;
    assert.ok(throttled > 0, 'throttled');
  } finally {
    client.close();
    await clearQuotas();
  }
});

/** Whether a fresh connection is served (false: the broker closed it at once). */
async function served(port: number, keep: WireClient[]): Promise<boolean> {
  const client = await WireClient.connect(port);
  keep.push(client);
  try {
    await client.request(ApiKey.Metadata, 12, createMetadataRequest({ topics: [] }));
    return true;
  } catch {
    return false;
  }
}

test('max.connections.per.ip, its overrides, max.connections and connection_creation_rate refuse connections over them; a closed one frees its place', async () => {
  const limited = await startTestBroker({ 'max.connections.per.ip': '2' });
  const overridden = await startTestBroker({ 'max.connections.per.ip': '1', 'max.connections.per.ip.overrides': '127.0.0.1:3' });
  const total = await startTestBroker({ 'max.connections': '1' });
  const open: WireClient[] = [];
  try {
    assert.deepEqual([await served(limited.port, open), await served(limited.port, open), await served(limited.port, open)], [true, true, false]);
    open[0].close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await served(limited.port, open), true, 'a closed connection frees its place');
    assert.deepEqual([await served(overridden.port, open), await served(overridden.port, open), await served(overridden.port, open), await served(overridden.port, open)], [true, true, true, false]);
    assert.deepEqual([await served(total.port, open), await served(total.port, open)], [true, false]);

    const r = await alter([{ entity: { ip: '127.0.0.1' }, set: { connection_creation_rate: 2 } }]);
    assert.equal(r.entries[0].errorCode, ErrorCode.NONE);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await served(broker.port, open));
    assert.deepEqual(results.slice(0, 2), [true, true], 'two a second with a burst of one second');
    assert.ok(results.includes(false), `refused once over the rate: ${results}`);
  } finally {
    for (const c of open) c.close();
    await clearQuotas().catch(() => undefined);
    await Promise.all([limited.close(), overridden.close(), total.close()]);
  }
});

test('connections.max.idle.ms closes a connection nothing has passed on for that long, and leaves a busy one open', async () => {
  const idle = await startTestBroker({ 'connections.max.idle.ms': '400' });
  const quiet = await WireClient.connect(idle.port);
  const busy = await WireClient.connect(idle.port);
  try {
    const closed = quiet.nextFrame();
    const start = performance.now();
    while (performance.now() - start < 1500) {
      await busy.request(ApiKey.Metadata, 12, createMetadataRequest({ topics: [] }));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(await closed, null, 'the quiet connection was closed');
    assert.equal(busy.closed, false, 'the busy one was not');
  } finally {
    quiet.close();
    busy.close();
    await idle.close();
  }
});
