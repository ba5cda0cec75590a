// Idempotent producers at the log: retries are answered with their first offsets and not written
// again, gaps and old epochs are refused, and the state survives restarts (snapshot + replay).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FaultInjectingFs } from './fault-injecting-fs.ts';
import { PartitionLog, type LogConfig } from './partition-log.ts';
import { ProducerSequenceError, ProducerState } from './producer-state.ts';
import { baseOffsets, testBatch } from './test-batches.ts';

const DIR = '/data/idempotent-0';
const CONFIG: LogConfig = { segmentBytes: 1024, segmentMs: 7 * 24 * 3600_000, indexIntervalBytes: 256 };

function open(fs: FaultInjectingFs, cleanShutdown = false) {
  return PartitionLog.open({ dir: DIR, fs, config: CONFIG, now: () => 1_000, cleanShutdown });
}

/** Batch `n` of a producer sending 3 records per batch. */
function batch(n: number, { producerId = 7, producerEpoch = 0, records = 3 } = {}) {
  return testBatch({ records, payloadBytes: 60, producerId, producerEpoch, baseSequence: n * 3 });
}

function rejectsWith(fn: () => unknown, code: string) {
  assert.throws(fn, (err: Error) => err instanceof ProducerSequenceError && err.code === code);
}

test('a retried batch gets its first offsets back and is not written twice', async () => {
  const log = await open(new FaultInjectingFs());
  assert.deepEqual(log.append(batch(0), 0, null), { baseOffset: 0, lastOffset: 2 });
  assert.deepEqual(log.append(batch(1), 0, null), { baseOffset: 3, lastOffset: 5 });
  log.append(testBatch({ records: 1 }), 0, null);
  assert.deepEqual(log.append(batch(0), 0, null), { baseOffset: 0, lastOffset: 2, duplicate: true }, 'an older batch still remembered');
  assert.deepEqual(log.append(batch(1), 0, null), { baseOffset: 3, lastOffset: 5, duplicate: true });
  assert.equal(log.logEndOffset, 7);
  await log.flush();
  assert.deepEqual(baseOffsets(await log.read(0, 1 << 20)), [0, 3, 6]);
});

test('sequence gaps, old epochs and unknown producers are refused; a new epoch starts at 0', async () => {
  const log = await open(new FaultInjectingFs());
  rejectsWith(() => log.append(batch(2), 0, null), 'UNKNOWN_PRODUCER_ID');
  log.append(batch(0), 0, null);
  rejectsWith(() => log.append(batch(2), 0, null), 'OUT_OF_ORDER_SEQUENCE_NUMBER');
  log.append(batch(0, { producerEpoch: 1 }), 0, null);
  rejectsWith(() => log.append(batch(1, { producerEpoch: 0 }), 0, null), 'INVALID_PRODUCER_EPOCH');
  rejectsWith(() => log.append(batch(3, { producerEpoch: 2 }), 0, null), 'OUT_OF_ORDER_SEQUENCE_NUMBER');
  assert.deepEqual(log.append(batch(1, { producerEpoch: 1 }), 0, null), { baseOffset: 6, lastOffset: 8 });
  assert.equal(log.logEndOffset, 9, 'refused batches took no offsets');
});

test('only the last 5 batches are remembered', async () => {
  const log = await open(new FaultInjectingFs());
  for (let n = 0; n < 7; n++) log.append(batch(n), 0, null);
  assert.equal(log.append(batch(2), 0, null).duplicate, true);
  rejectsWith(() => log.append(batch(1), 0, null), 'OUT_OF_ORDER_SEQUENCE_NUMBER');
});

test('the producer state survives a clean restart and a crash, from its snapshot and the batches after it', async () => {
  const fs = new FaultInjectingFs();
  const log = await open(fs);
  for (let n = 0; n < 10; n++) {
    log.append(batch(n), 0, null);
    log.append(batch(n, { producerId: 8 }), 0, null);
    await log.flush();
  }
  assert.equal(await log.close(), true);
  const reopened = await open(fs, true);
  assert.deepEqual(reopened.append(batch(9), 0, null), { baseOffset: 54, lastOffset: 56, duplicate: true });
  // More batches after the snapshot written at close; then a crash that keeps them (they were flushed).
  for (let n = 10; n < 14; n++) {
    reopened.append(batch(n), 0, null);
    await reopened.flush();
  }
  fs.crash('drop-unsynced');
  const recovered = await open(fs);
  assert.equal(recovered.append(batch(13), 0, null).duplicate, true, 'replayed from the log after the snapshot');
  assert.equal(recovered.append(batch(10, { producerId: 8 }), 0, null).duplicate, undefined, 'producer 8 continues at its next sequence');
  assert.deepEqual(recovered.append(batch(14), 0, null), { baseOffset: recovered.logEndOffset - 3, lastOffset: recovered.logEndOffset - 1 });
});

test('snapshots round-trip; a damaged one is refused', () => {
  const state = new ProducerState();
  state.update({ producerId: 5n, producerEpoch: 2, baseSequence: 10, lastOffsetDelta: 4, maxTimestamp: 99, attributes: 0 } as never, 100);
  const bytes = state.encode(105);
  const decoded = ProducerState.decode(bytes)!;
  assert.equal(decoded.offset, 105);
  assert.deepEqual(decoded.state.entry(5), { producerId: 5, epoch: 2, lastTimestamp: 99, txnFirstOffset: -1, batches: [{ firstSeq: 10, lastSeq: 14, baseOffset: 100, lastOffset: 104 }] });
  bytes[20] ^= 1;
  assert.equal(ProducerState.decode(bytes), null);
});

test('producers silent past producer.id.expiration.ms are forgotten', async () => {
  const log = await open(new FaultInjectingFs());
  log.append(testBatch({ records: 1, producerId: 1, producerEpoch: 0, baseSequence: 0, maxTimestamp: 1_000 }), 0, null);
  log.append(testBatch({ records: 1, producerId: 2, producerEpoch: 0, baseSequence: 0, maxTimestamp: 5_000 }), 0, null);
  assert.equal(log.expireProducers(6_000, 2_000), 1);
  rejectsWith(() => log.append(testBatch({ records: 1, producerId: 1, producerEpoch: 0, baseSequence: 1 }), 0, null), 'UNKNOWN_PRODUCER_ID');
  log.append(testBatch({ records: 1, producerId: 2, producerEpoch: 0, baseSequence: 1 }), 0, null);
});
