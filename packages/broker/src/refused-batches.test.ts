import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '@millrace/protocol';
import { testBatch } from '../../storage/src/test-batches.ts';
import { RefusedBatches } from './refused-batches.ts';

const batch = (producerId: number, baseSequence: number, producerEpoch = 0) => testBatch({ records: 3, producerId, producerEpoch, baseSequence });

test('a batch after a refused one gets the refusal\'s error until the refused one is appended or 10 s pass', () => {
  const refused = new RefusedBatches();
  refused.refused(batch(7, 100), ErrorCode.NOT_ENOUGH_REPLICAS, 1_000);
  refused.refused(batch(7, 103), ErrorCode.NOT_ENOUGH_REPLICAS, 1_001);
  assert.equal(refused.gapCause(batch(7, 103), 1_002), ErrorCode.NOT_ENOUGH_REPLICAS, 'the gap begins at the first refused batch');
  assert.equal(refused.gapCause(batch(7, 100), 1_002), null, 'the refused batch itself is judged as usual');
  assert.equal(refused.gapCause(batch(8, 103), 1_002), null, 'another producer');
  assert.equal(refused.gapCause(batch(7, 103, 1), 1_002), null, 'another epoch of the producer');
  assert.equal(refused.gapCause(testBatch({ records: 3 }), 1_002), null, 'a batch without a producer');
  assert.equal(refused.gapCause(batch(7, 103), 11_000), null, 'forgotten after 10 s');
  refused.refused(batch(7, 200), ErrorCode.NOT_LEADER_OR_FOLLOWER, 20_000);
  assert.equal(refused.gapCause(batch(7, 203), 20_001), ErrorCode.NOT_LEADER_OR_FOLLOWER);
  refused.appended(batch(7, 200));
  assert.equal(refused.gapCause(batch(7, 203), 20_002), null);
});
