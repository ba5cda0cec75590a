// Transactions at the log: open transactions hold the last stable offset back, markers end them,
// aborted ranges are listed for READ_COMMITTED readers, and all of it survives restarts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Attribute, BatchField } from '@millrace/protocol';
import { FaultInjectingFs } from './fault-injecting-fs.ts';
import { PartitionLog, type LogConfig } from './partition-log.ts';
import { ProducerSequenceError } from './producer-state.ts';
import { testBatch } from './test-batches.ts';

const DIR = '/data/txn-0';
const CONFIG: LogConfig = { segmentBytes: 1024, segmentMs: 7 * 24 * 3600_000, indexIntervalBytes: 256 };

function open(fs: FaultInjectingFs) {
  return PartitionLog.open({ dir: DIR, fs, config: CONFIG, now: () => 1_000 });
}

function txnBatch(producerId: number, seq: number, producerEpoch = 0) {
  return testBatch({ records: 2, producerId, producerEpoch, baseSequence: seq, transactional: true });
}

test('open transactions hold back the last stable offset; commit and abort markers release it, and aborts are listed', async () => {
  const fs = new FaultInjectingFs();
  const log = await open(fs);
  log.append(testBatch({ records: 1 }), 0, null); // offset 0
  log.append(txnBatch(1, 0), 0, null); // 1-2, producer 1
  log.append(txnBatch(2, 0), 0, null); // 3-4, producer 2
  log.append(txnBatch(1, 2), 0, null); // 5-6
  await log.flush();
  assert.equal(log.highWatermark, 7);
  assert.equal(log.lastStableOffset, 1, 'producer 1 opened the oldest transaction');
  assert.deepEqual(log.appendTxnMarker(1, 0, true, 0), { baseOffset: 7, lastOffset: 7 });
  await log.flush();
  assert.equal(log.lastStableOffset, 3, 'producer 2 still holds it');
  log.appendTxnMarker(2, 0, false, 0); // 8
  await log.flush();
  assert.equal(log.lastStableOffset, 9);
  assert.deepEqual(log.abortedTransactions(0, 9), [{ producerId: 2, firstOffset: 3 }]);
  assert.deepEqual(log.abortedTransactions(5, 9), [{ producerId: 2, firstOffset: 3 }], 'a fetch from inside the aborted range still needs it');
  assert.deepEqual(log.abortedTransactions(9, 20), []);

  const data = await log.read(7, 1 << 20);
  assert.equal(data.readInt16BE(BatchField.ATTRIBUTES) & (Attribute.CONTROL | Attribute.TRANSACTIONAL), Attribute.CONTROL | Attribute.TRANSACTIONAL);

  // A new transaction of producer 1, open at a crash: the state comes back from the snapshot and the log after it.
  await log.checkpointRecoveryPoint();
  log.append(txnBatch(1, 4), 0, null); // 9-10
  await log.flush();
  fs.crash('drop-unsynced');
  const again = await open(fs);
  assert.equal(again.lastStableOffset, 9);
  assert.deepEqual(again.abortedTransactions(0, 20), [{ producerId: 2, firstOffset: 3 }]);
  again.appendTxnMarker(1, 0, false, 0);
  await again.flush();
  assert.equal(again.lastStableOffset, 12);
  assert.deepEqual(again.abortedTransactions(9, 20), [{ producerId: 1, firstOffset: 9 }]);
});

test('a marker with an older epoch than the producer has is refused; a newer one fences the old sequences', async () => {
  const log = await open(new FaultInjectingFs());
  log.append(txnBatch(1, 0, 3), 0, null);
  assert.throws(() => log.appendTxnMarker(1, 2, true, 0), (err: Error) => err instanceof ProducerSequenceError && err.code === 'INVALID_PRODUCER_EPOCH');
  log.appendTxnMarker(1, 4, false, 0);
  assert.throws(() => log.append(txnBatch(1, 2, 3), 0, null), (err: Error) => err instanceof ProducerSequenceError && err.code === 'INVALID_PRODUCER_EPOCH', 'the zombie with epoch 3 is fenced');
});
