import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createConsumerProtocolAssignment, createConsumerProtocolAssignmentTopicPartition, encodeConsumerProtocolAssignment, Writer } from '@millrace/protocol';
import { decodeMemberAssignment } from './admin-assignment.ts';

const hex = (...parts: string[]) => Buffer.from(parts.join(''), 'hex');
const str = (s: string) => Buffer.from(s).length.toString(16).padStart(4, '0') + Buffer.from(s).toString('hex');

test('an assignment as KafkaJS writes it (version 1, empty user data) is decoded with its topics, partitions and user data', () => {
  // version 1; 2 topics: "orders" [0, 2], "audit" [1]; user data of 0 bytes.
  const bytes = hex('0001', '00000002', str('orders'), '00000002', '00000000', '00000002', str('audit'), '00000001', '00000001', '00000000');
  assert.deepEqual(decodeMemberAssignment(bytes), {
    version: 1,
    partitions: [{ topic: 'orders', partitions: [0, 2] }, { topic: 'audit', partitions: [1] }],
    userData: Buffer.alloc(0),
  });
});

test('an assignment written by the generated encoder (v3, null user data, then user data bytes) round-trips', () => {
  for (const userData of [null, Buffer.from('sticky')]) {
    const w = new Writer();
    w.int16(3);
    encodeConsumerProtocolAssignment(w, createConsumerProtocolAssignment({
      assignedPartitions: [createConsumerProtocolAssignmentTopicPartition({ topic: 't', partitions: [5, 4] })],
      userData,
    }), 3);
    assert.deepEqual(decodeMemberAssignment(w.finish()), { version: 3, partitions: [{ topic: 't', partitions: [5, 4] }], userData });
  }
});

test('no assignment (an empty buffer) and bytes of another format read as null; missing user data reads as none', () => {
  assert.equal(decodeMemberAssignment(Buffer.alloc(0)), null);
  assert.equal(decodeMemberAssignment(hex('0000', '00000005', str('x'))), null, 'five topics announced, one present');
  assert.equal(decodeMemberAssignment(hex('ffff', '00000000')), null, 'a negative version');
  assert.deepEqual(decodeMemberAssignment(hex('0000', '00000001', str('x'), '00000001', '00000007')), { version: 0, partitions: [{ topic: 'x', partitions: [7] }], userData: null });
});
