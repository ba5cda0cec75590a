import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32c } from '../crc32c.ts';
import { batchCrcMatches } from './batch-header.ts';
import { validateProducedBatches } from './produce-validation.ts';
import { decodeRecordBatch, encodeRecordBatch } from './records.ts';

test('records round-trip: keys, values, nulls, headers, timestamps, offsets', () => {
  const batch = encodeRecordBatch({
    baseOffset: 100,
    records: [
      { key: Buffer.from('k1'), value: Buffer.from('v1'), headers: [{ key: 'h', value: Buffer.from('x') }], timestamp: 1000 },
      { key: null, value: null, timestamp: 1005 },
      { key: Buffer.from('k3'), value: Buffer.alloc(300, 1), headers: [{ key: 'n', value: null }], timestamp: 999 },
    ],
  });
  assert.ok(batchCrcMatches(batch, 0, batch.length));
  assert.equal(validateProducedBatches(batch, { maxMessageBytes: 1 << 20 }).ok, true);
  const records = decodeRecordBatch(batch);
  assert.deepEqual(records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null]), [[100, 1000, 'k1'], [101, 1005, null], [102, 999, 'k3']]);
  assert.deepEqual(records[0].headers, [{ key: 'h', value: Buffer.from('x') }]);
  assert.equal(records[1].value, null);
  assert.equal(records[2].value!.length, 300);
  assert.deepEqual(records[2].headers, [{ key: 'n', value: null }]);
});

test('a truncated record is an error, not a partial result', () => {
  const batch = encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('value'), timestamp: 1 }] });
  batch.writeInt32BE(2, 57);
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  assert.throws(() => decodeRecordBatch(batch), /malformed/);
});
