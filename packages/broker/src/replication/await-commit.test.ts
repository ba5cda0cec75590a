// acks=all is answered once the high watermark passes the records, but only while the broker still
// leads in the epoch they were appended in: a leader that lost the partition and won it back in a
// later epoch may hold other records at those offsets (its own were cut when it followed).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ErrorCode } from '@millrace/protocol';
import { NodeFs, PartitionLog } from '@millrace/storage';
import { testBatch } from '../../../storage/src/test-batches.ts';
import { Partition } from '../partition.ts';
import { awaitCommit } from './await-commit.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function leaderPartition(): Promise<Partition> {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-await-commit-'));
  dirs.push(dir);
  const log = await PartitionLog.open({ dir, fs: new NodeFs(), config: { segmentBytes: 1 << 20, segmentMs: 3_600_000, indexIntervalBytes: 4096 }, now: () => Date.now(), cleanShutdown: false });
  log.setReplicationHighWatermark(0);
  const p = new Partition('t', 0, log);
  p.role = 'leader';
  p.leaderEpoch = 3;
  return p;
}

const running = { stopping: new AbortController().signal };

test('records appended in the current epoch are answered once the high watermark passes them', async () => {
  const p = await leaderPartition();
  await p.log.assignLeaderEpoch(3);
  const { lastOffset } = p.log.append(testBatch({ records: 4 }), 3, null);
  await p.log.flush();
  const answer = awaitCommit(running, p, lastOffset + 1, 3, 10_000);
  p.log.setReplicationHighWatermark(lastOffset + 1);
  p.notifyNewData();
  assert.equal(await answer, ErrorCode.NONE);
});

test('records appended in an earlier epoch are not answered as committed by a leader of a later one, whatever its high watermark', async () => {
  const p = await leaderPartition();
  await p.log.assignLeaderEpoch(3);
  const { lastOffset } = p.log.append(testBatch({ records: 4 }), 3, null);
  await p.log.flush();
  // Meanwhile the broker followed another leader and came to lead again, in epoch 5, with other records there.
  p.leaderEpoch = 5;
  p.log.setReplicationHighWatermark(lastOffset + 1);
  assert.equal(await awaitCommit(running, p, lastOffset + 1, 3, 10_000), ErrorCode.NOT_LEADER_OR_FOLLOWER);
});
