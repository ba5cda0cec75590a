// A partition leaves the replica fetcher (its broker comes to lead it, or follows another leader)
// while work an earlier answer started on its log is still under way, such as the truncation a
// diverging epoch ordered. That work must be over before the log takes its new role: a truncation
// landing after the broker began leading would cut records it had acknowledged as leader.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type FollowerLog, ReplicaFetcher } from '@millrace/cluster';
import { ApiKey, BatchField, createProduceRequest, createProduceRequestPartitionProduceData, createProduceRequestTopicProduceData, ErrorCode, type ProduceResponse } from '@millrace/protocol';
import { NodeFs, PartitionLog } from '@millrace/storage';
import { startEtcd, type EtcdServer } from '../../../cluster/src/test-support/etcd-server.ts';
import { testBatch } from '../../../storage/src/test-batches.ts';
import { silentLogger } from '../logger.ts';
import { startTestBroker } from '../test-support/test-broker.ts';
import { waitFor } from '../test-support/wait-for.ts';
import { WireClient } from '../test-support/wire-client.ts';
import { followerLog } from './follower-log.ts';

let etcd: EtcdServer;
const dirs: string[] = [];
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A log holding batches of `sizes` records that a leader of `epoch` wrote, as a follower copied them. */
async function followerLogWith(sizes: number[], epoch: number): Promise<PartitionLog> {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-fetcher-'));
  dirs.push(dir);
  const log = await PartitionLog.open({ dir, fs: new NodeFs(), config: { segmentBytes: 1 << 20, segmentMs: 3_600_000, indexIntervalBytes: 4096 }, now: () => Date.now(), cleanShutdown: false });
  for (const records of sizes) {
    const batch = testBatch({ records });
    batch.writeBigInt64BE(BigInt(log.logEndOffset), BatchField.BASE_OFFSET);
    batch.writeInt32BE(epoch, BatchField.PARTITION_LEADER_EPOCH);
    log.appendAsFollower(batch);
  }
  await log.flush();
  return log;
}

test('a partition taken out of the replica fetcher during a truncation it ordered is let go only once the truncation is done; then its log can lead', { timeout: 60_000 }, async () => {
  const leader = await startTestBroker({ 'node.id': '1', 'etcd.endpoints': etcd.endpoint, 'cluster.name': 'fetcher-removal', 'min.insync.replicas': '1' });
  const client = await WireClient.connect(leader.port);
  const fetcher = new ReplicaFetcher({ replicaId: 2, leaderId: 1, host: '127.0.0.1', port: leader.port, maxWaitMs: 100, maxBytes: 1 << 20, log: silentLogger });
  try {
    await leader.broker.state.cluster!.topics.createTopic('diverging', 1, 1, {}, [[1]]);
    await waitFor('broker 1 leading the partition', () => leader.broker.state.topics.partition('diverging', 0)?.role === 'leader');
    const produced = await client.request<ProduceResponse>(ApiKey.Produce, 8, createProduceRequest({
      acks: -1, timeoutMs: 10_000,
      topicData: [createProduceRequestTopicProduceData({ name: 'diverging', partitionData: [createProduceRequestPartitionProduceData({ index: 0, records: testBatch({ records: 5 }) })] })],
    }));
    assert.equal(produced.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
    const leaderEpoch = leader.broker.state.topics.partition('diverging', 0)!.leaderEpoch;

    // The follower holds 8 records of the leader's epoch where the leader has 5 (the follower's 3
    // more were a deposed leader's): the leader's answer diverges at 5.
    const log = await followerLogWith([5, 3], leaderEpoch);
    let truncationAsked!: (offset: number) => void;
    const asked = new Promise<number>((resolve) => (truncationAsked = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // The truncation waits, as it does behind a segment change or a group commit under way.
    const held: FollowerLog = Object.assign(Object.create(followerLog(log, () => {})) as FollowerLog, {
      truncateTo: async (offset: number) => {
        truncationAsked(offset);
        await released;
        return log.truncateTo(offset);
      },
    });
    fetcher.add({ topic: 'diverging', index: 0, leaderEpoch, log: held });
    assert.equal(await asked, 5, 'the logs part after the leader\'s 5 records');

    let letGo = false;
    const removal = fetcher.remove('diverging', 0).then(() => (letGo = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(letGo, false, 'the fetcher lets go of the log before its truncation is done');
    release();
    await removal;
    assert.equal(log.logEndOffset, 5);

    // The log can now lead: no truncation of the fetcher's is under way to refuse its appends.
    await log.assignLeaderEpoch(leaderEpoch + 1);
    log.append(testBatch({ records: 3 }), leaderEpoch + 1, null);
    await log.flush();
    assert.equal(log.logEndOffset, 8);
    await log.close();
  } finally {
    fetcher.stop();
    client.close();
    await leader.close();
  }
});
