// Transactions through broker crashes: a librdkafka transactional producer commits transaction
// after transaction while the broker is SIGKILLed and restarted. Afterwards no transaction hangs
// (the last stable offset reaches the high watermark on every partition), every transaction is
// all-or-nothing for READ_COMMITTED readers, and every one whose commit returned is there whole.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ApiKey, createListOffsetsRequest, createListOffsetsRequestListOffsetsPartition, createListOffsetsRequestListOffsetsTopic, type ListOffsetsResponse } from '@millrace/protocol';
import { Connection } from '../../packages/client/src/connection.ts';
import { waitFor } from '../../packages/broker/src/test-support/wait-for.ts';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { readValuesWithKcat } from '../harness/kcat.ts';

const PARTITIONS = 3;
const SIZE = 10;
const KILLS = 6;
let broker: RunningBroker | undefined;

after(async () => {
  await broker?.dispose();
});

/** The latest offset of each partition at an isolation level: the high watermark, or (1) the last stable offset. */
async function latestOffsets(b: RunningBroker, isolationLevel: number): Promise<bigint[]> {
  const connection = await Connection.open(b.host, b.port);
  try {
    const response = await connection.request<ListOffsetsResponse>(ApiKey.ListOffsets, 5, createListOffsetsRequest({
      replicaId: -1, isolationLevel,
      topics: [createListOffsetsRequestListOffsetsTopic({ name: 'txn-crash', partitions: Array.from({ length: PARTITIONS }, (_, p) => createListOffsetsRequestListOffsetsPartition({ partitionIndex: p, timestamp: -1n })) })],
    }));
    return response.topics[0].partitions.sort((a, c) => a.partitionIndex - c.partitionIndex).map((p) => p.offset);
  } finally {
    connection.close();
  }
}

test('transactions stay atomic and none hangs across SIGKILLs of the broker', { timeout: 300_000 }, async () => {
  broker = await startBroker({ args: ['--set', `num.partitions=${PARTITIONS}`, '--set', 'transaction.abort.timed.out.transaction.cleanup.interval.ms=500'] });
  const child = spawn('/usr/bin/python3', [join(import.meta.dirname, 'txn_crash_producer.py'), broker.bootstrap, 'txn-crash', String(SIZE)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const outcomes = new Map<number, string>();
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    const lines = output.split('\n');
    output = lines.pop()!;
    for (const line of lines) {
      const event = JSON.parse(line) as Record<string, number>;
      for (const [kind, txn] of Object.entries(event)) if (kind !== 'done') outcomes.set(txn, kind);
    }
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let kill = 0; kill < KILLS; kill++) {
    await waitFor('a few transactions between crashes', () => [...outcomes.values()].filter((k) => k === 'committed').length >= (kill + 1) * 5, 60_000, 50);
    await broker.stop('SIGKILL');
    await broker.restart();
  }
  await waitFor('more commits after the last restart', () => [...outcomes.values()].filter((k) => k === 'committed').length >= (KILLS + 1) * 5, 60_000, 50);
  child.stdin.end();
  await exited;

  await waitFor('every partition to have no open transaction', async () => {
    const [stable, end] = [await latestOffsets(broker!, 1), await latestOffsets(broker!, 0)];
    return stable.every((o, p) => o === end[p]);
  }, 60_000, 500);

  const counts = new Map<number, number>();
  for (const value of await readValuesWithKcat(broker.bootstrap, 'txn-crash', 'read_committed')) {
    const txn = Number(value.split('-')[0]);
    counts.set(txn, (counts.get(txn) ?? 0) + 1);
  }
  const partial = [...counts].filter(([, n]) => n !== SIZE);
  const missing = [...outcomes].filter(([txn, kind]) => kind === 'committed' && counts.get(txn) !== SIZE);
  const committed = [...outcomes.values()].filter((k) => k === 'committed').length;
  console.log(`txn crash: ${KILLS} kills, ${outcomes.size} transactions, ${committed} committed, ${[...outcomes.values()].filter((k) => k === 'unknown').length} with unknown outcome, ${counts.size} visible`);
  assert.deepEqual(partial, [], 'no transaction is visible in part');
  assert.deepEqual(missing, [], `every committed transaction is visible whole\n${stderr}`);
});
