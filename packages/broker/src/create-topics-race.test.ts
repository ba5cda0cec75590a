// Two clients creating one topic at the same moment (Streams instances creating their internal
// topics do): one creation wins, the other gets TOPIC_ALREADY_EXISTS, and the topic is on disk once.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ApiKey, createCreateTopicsRequest, createCreateTopicsRequestCreatableTopic, type CreateTopicsResponse, ErrorCode } from '@millrace/protocol';
import { startTestBroker, type TestBroker } from './test-support/test-broker.ts';
import { WireClient } from './test-support/wire-client.ts';

let tb: TestBroker;

before(async () => {
  tb = await startTestBroker();
});

after(async () => {
  await tb.close();
});

test('concurrent CreateTopics for one name: one is created, the others are told it exists, topics.json holds it once', async () => {
  const clients = await Promise.all([0, 1, 2].map(() => WireClient.connect(tb.port)));
  try {
    const answers = await Promise.all(clients.map((c) => c.request<CreateTopicsResponse>(ApiKey.CreateTopics, 4, createCreateTopicsRequest({
      topics: [createCreateTopicsRequestCreatableTopic({ name: 'raced', numPartitions: 6, replicationFactor: 1 })],
      timeoutMs: 5000,
    }))));
    const codes = answers.map((a) => a.topics[0].errorCode).sort();
    assert.deepEqual(codes, [ErrorCode.NONE, ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.TOPIC_ALREADY_EXISTS]);
    const stored = JSON.parse(readFileSync(join(tb.dataDir, 'topics.json'), 'utf8')) as unknown;
    assert.equal(JSON.stringify(stored).split('"raced"').length - 1, 1, 'one record of the topic');
  } finally {
    for (const c of clients) c.close();
  }
});
