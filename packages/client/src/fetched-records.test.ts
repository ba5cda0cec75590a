import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Attribute, encodeRecordBatch } from '@millrace/protocol';
import { decodeFetchedBatches, scanFetchedBatches } from './fetched-records.ts';

const values = (records: { value: Buffer | null }[]) => records.map((r) => r.value?.toString());

function batch(baseOffset: number, texts: string[], producer?: { id: bigint; transactional: boolean }): Buffer {
  return encodeRecordBatch({
    baseOffset, baseTimestamp: 1000, attributes: producer?.transactional ? Attribute.TRANSACTIONAL : 0,
    producerId: producer?.id ?? -1n, producerEpoch: producer ? 0 : -1, baseSequence: producer ? 0 : -1,
    records: texts.map((t) => ({ key: null, value: Buffer.from(t), timestamp: 1000 })),
  });
}

/** A transaction marker: control record key = version 0, type (0 abort, 1 commit). */
function marker(offset: number, producerId: bigint, commit: boolean): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(commit ? 1 : 0, 2);
  return encodeRecordBatch({
    baseOffset: offset, baseTimestamp: 1000, attributes: Attribute.TRANSACTIONAL | Attribute.CONTROL, producerId, producerEpoch: 0, baseSequence: -1,
    records: [{ key, value: Buffer.alloc(6), timestamp: 1000 }],
  });
}

test('records from the fetch offset on; a partial batch at the end is left for the next fetch', () => {
  const whole = Buffer.concat([batch(0, ['a', 'b', 'c']), batch(3, ['d'])]);
  const partial = batch(4, ['e']).subarray(0, 30);
  const fetched = scanFetchedBatches(Buffer.concat([whole, partial]), 1, null, false);
  assert.equal(fetched.nextOffset, 4);
  assert.deepEqual(values(decodeFetchedBatches(fetched)), ['b', 'c', 'd']);
});

test('a batch that fails its CRC is found by the scan but refused when decoded, never skipped', () => {
  const damaged = batch(0, ['payload']);
  damaged[damaged.length - 1] ^= 0xff;
  const fetched = scanFetchedBatches(damaged, 0, null, false);
  assert.equal(fetched.nextOffset, 1);
  assert.throws(() => decodeFetchedBatches(fetched), /CRC/);
});

test('read_committed skips an aborted transaction up to its marker and every control batch; read_uncommitted keeps the data', () => {
  const aborting = { id: 7n, transactional: true };
  const committing = { id: 8n, transactional: true };
  const log = Buffer.concat([
    batch(0, ['plain']),
    batch(1, ['aborted-1'], aborting),
    batch(2, ['committed'], committing),
    marker(3, 7n, false),
    marker(4, 8n, true),
    batch(5, ['after'], aborting),
  ]);
  const committedView = scanFetchedBatches(log, 0, [{ producerId: 7n, firstOffset: 1n }], true);
  assert.equal(committedView.nextOffset, 6);
  assert.deepEqual(values(decodeFetchedBatches(committedView)), ['plain', 'committed', 'after']);
  assert.deepEqual(values(decodeFetchedBatches(scanFetchedBatches(log, 0, [{ producerId: 7n, firstOffset: 1n }], false))), ['plain', 'aborted-1', 'committed', 'after']);
});
