import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '@millrace/protocol';
import { RefusedBatches } from './refused-batches.ts';

test('a batch after a refused one gets the refusal\'s error until the refused one is appended or 10 s pass', () => {
  const refused = new RefusedBatches();
  refused.refused(7, 100, ErrorCode.NOT_ENOUGH_REPLICAS, 1_000);
  refused.refused(7, 103, ErrorCode.NOT_ENOUGH_REPLICAS, 1_001);
  assert.equal(refused.gapCause(7, 103, 1_002), ErrorCode.NOT_ENOUGH_REPLICAS, 'the gap begins at the first refused batch');
  assert.equal(refused.gapCause(7, 100, 1_002), null, 'the refused batch itself is judged as usual');
  assert.equal(refused.gapCause(8, 103, 1_002), null, 'another producer');
  assert.equal(refused.gapCause(7, 103, 11_000), null, 'forgotten after 10 s');
  refused.refused(7, 200, ErrorCode.NOT_ENOUGH_REPLICAS, 20_000);
  refused.appended(7);
  assert.equal(refused.gapCause(7, 203, 20_001), null);
});
