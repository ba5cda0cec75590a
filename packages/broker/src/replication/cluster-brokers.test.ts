import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BrokerRegistration } from '@millrace/cluster';
import type { BrokerState } from '../handler.ts';
import { addressOn, liveBrokers } from './cluster-brokers.ts';

const registrations: BrokerRegistration[] = [
  { nodeId: 1, host: 'b1', port: 9092, rack: null, listeners: { PLAINTEXT: { host: 'b1', port: 9092 }, SASL_SSL: { host: 'b1', port: 9093 } } },
  { nodeId: 2, host: 'b2', port: 9092, rack: null, listeners: { PLAINTEXT: { host: 'b2', port: 9092 } } },
  // An older broker's registration, without listeners: only its replication address is known.
  { nodeId: 3, host: 'b3', port: 9092, rack: null },
];
const state = { cluster: { view: { brokers: new Map(registrations.map((b) => [b.nodeId, b])) } } } as unknown as BrokerState;

test('a client is told only of brokers with its listener, never sent to a port of another security protocol', () => {
  assert.deepEqual(liveBrokers(state, 'SASL_SSL').map((b) => `${b.nodeId}@${b.host}:${b.port}`), ['1@b1:9093', '3@b3:9092']);
  assert.deepEqual(liveBrokers(state, 'PLAINTEXT').map((b) => b.nodeId), [1, 2, 3]);
  assert.equal(addressOn(registrations[1], 'SASL_SSL'), null);
});
