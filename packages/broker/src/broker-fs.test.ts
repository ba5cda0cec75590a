// The broker's files go through the Fs it is given, all of them: a fault injected there reaches the
// whole broker (topics, logs, offsets, producer ids, metadata), and nothing but the data directory's
// lock is written to the real disk.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Admin } from '@millrace/client';
import { ErrorCode } from '@millrace/protocol';
import { FaultInjectingFs } from '@millrace/storage';
import { Broker } from './broker.ts';
import { buildBrokerConfig } from './config/broker-config.ts';
import { silentLogger } from './logger.ts';
import { idempotentProducer } from './test-support/idempotent-produce.ts';
import { WireClient } from './test-support/wire-client.ts';

test('every file of the broker goes through its Fs: a failing fsync there is KAFKA_STORAGE_ERROR to a producer, and the real directory holds only the lock', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'broker-fs-'));
  const fs = new FaultInjectingFs();
  const broker = await Broker.start({ dataDir, host: '127.0.0.1', port: 0, config: buildBrokerConfig({}), log: silentLogger, fs });
  const admin = new Admin({ brokers: [`127.0.0.1:${broker.port}`] });
  const client = await WireClient.connect(broker.port);
  try {
    await admin.createTopics([{ topic: 'orders', partitions: 2 }]);
    const toPartition0 = await idempotentProducer(client, 'orders', 0);
    const toPartition1 = await idempotentProducer(client, 'orders', 1);
    assert.equal((await toPartition0(0)).errorCode, ErrorCode.NONE);
    assert.equal((await toPartition1(0)).errorCode, ErrorCode.NONE);
    assert.deepEqual(readdirSync(dataDir), ['.lock']);
    assert.ok((await fs.readdir(dataDir)).includes('orders-0'), 'the topic was written through the given Fs');

    fs.failSync = true;
    assert.equal((await toPartition0(3)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    // The broker itself goes on answering.
    assert.deepEqual((await admin.listTopics()).sort(), ['orders']);
  } finally {
    client.close();
    await admin.close();
    await broker.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
