// The collector against a real broker and producer: an aborted transaction's sends fail after the
// abort, and those failures must not fail the next transaction.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin, Producer } from '@millrace/client';
import { startTestBroker } from '../../../broker/src/test-support/test-broker.ts';
import { ProducerCollector } from './producer-collector.ts';

test('records of an aborted transaction that fail after the abort do not fail the flush of the next one', async () => {
  const broker = await startTestBroker();
  const brokers = [`127.0.0.1:${broker.port}`];
  const admin = new Admin({ brokers });
  // Held back by the linger, so the abort finds them not yet sent, and fails them.
  const producer = new Producer({ brokers, transactionalId: 'collector-test', lingerMs: 5_000 });
  try {
    await admin.createTopics([{ topic: 'out', partitions: 1 }]);
    const collector = new ProducerCollector(producer, new Map([['out', 1]]), new Set());
    await producer.beginTransaction();
    collector.send({ topic: 'out', key: Buffer.from('k'), value: Buffer.from('aborted'), headers: [], partition: 0, timestamp: Date.now() });
    collector.drain();
    collector.discard();
    await producer.abortTransaction();
    await new Promise((resolve) => setImmediate(resolve));

    await producer.beginTransaction();
    collector.send({ topic: 'out', key: Buffer.from('k'), value: Buffer.from('committed'), headers: [], partition: 0, timestamp: Date.now() });
    await collector.flush();
    await producer.commitTransaction();
    assert.equal(collector.sent, 0);
  } finally {
    await producer.close();
    await admin.close();
    await broker.close();
  }
});
