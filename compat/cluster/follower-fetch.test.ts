// KIP-392 against three brokers in racks a, b and c with Kafka's rack-aware replica selector: a
// librdkafka consumer with client.rack reads a partition led in rack a from the follower in its own
// rack, every record; one in the leader's rack reads from the leader.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runTool } from '../harness/run-tool.ts';
import { startCluster, type RunningCluster } from './cluster-process.ts';

let cluster: RunningCluster;
const RACKS = ['a', 'b', 'c'];

before(async () => {
  cluster = await startCluster(3, (id) => ({
    'broker.rack': RACKS[id - 1],
    'replica.selector.class': 'org.apache.kafka.common.replica.RackAwareReplicaSelector',
  }));
});

after(async () => {
  await cluster?.dispose();
});

async function readInRack(rack: string, count: number): Promise<{ read: number; fetchedFrom: number; leader: number }> {
  const { stdout } = await runTool('/usr/bin/python3', [join(import.meta.dirname, 'rack_consumer.py'), cluster.bootstrap, 'racked', rack, String(count)], { timeoutMs: 90_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { read: number; fetchedFrom: number; leader: number };
}

test('a consumer with client.rack reads from the in-sync follower of its rack, and one in the leader\'s rack from the leader', async () => {
  const admin = await runTool('/usr/bin/python3', ['-c', [
    'from confluent_kafka.admin import AdminClient, NewTopic',
    `a = AdminClient({"bootstrap.servers": "${cluster.bootstrap}"})`,
    'a.create_topics([NewTopic("racked", 1, replica_assignment=[[1, 2, 3]])])["racked"].result(30)',
  ].join('\n')], { timeoutMs: 60_000 });
  assert.equal(admin.code, 0, admin.stderr);
  const lines = Array.from({ length: 1_000 }, (_, i) => `r${i}`).join('\n') + '\n';
  await runTool('kcat', ['-b', cluster.bootstrap, '-P', '-t', 'racked', '-p', '0', '-X', 'acks=all'], { input: lines, timeoutMs: 60_000 });
  const inC = await readInRack('c', 1_000);
  assert.deepEqual(inC, { read: 1_000, fetchedFrom: 3, leader: 1 });
  const inA = await readInRack('a', 1_000);
  assert.deepEqual(inA, { read: 1_000, fetchedFrom: 1, leader: 1 });
});
