import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildBrokerConfig } from '../config/broker-config.ts';
import { interBrokerSettings } from './inter-broker.ts';
import { listenerSpecs } from './listeners.ts';

const JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="broker-secret";';

function settingsFor(values: Record<string, string>) {
  const config = buildBrokerConfig({ 'etcd.endpoints': 'http://127.0.0.1:2379', ...values });
  return interBrokerSettings(config, listenerSpecs(config, { host: '127.0.0.1', port: 0 }), new Map());
}

test('brokers talk over the first listener unless inter.broker.listener.name or security.inter.broker.protocol names another', () => {
  const listeners = 'PLAINTEXT://127.0.0.1:9092,INTERNAL://127.0.0.1:9093,SASL_PLAINTEXT://127.0.0.1:9094';
  const map = 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT';
  assert.equal(settingsFor({ listeners, 'listener.security.protocol.map': map }).listener.name, 'PLAINTEXT');
  assert.deepEqual(settingsFor({ listeners, 'listener.security.protocol.map': map, 'inter.broker.listener.name': 'internal' }), { listener: { name: 'INTERNAL', host: '127.0.0.1', port: 9093, securityProtocol: 'PLAINTEXT' }, security: {} });
  assert.throws(() => settingsFor({ listeners, 'listener.security.protocol.map': map, 'inter.broker.listener.name': 'REPLICATION' }), /inter\.broker\.listener\.name REPLICATION is not one of the listeners \(PLAINTEXT, INTERNAL, SASL_PLAINTEXT\)/);
  assert.throws(() => settingsFor({ listeners, 'listener.security.protocol.map': map, 'inter.broker.listener.name': 'INTERNAL', 'security.inter.broker.protocol': 'PLAINTEXT' }), /not both/);
});

test('a SASL inter-broker listener needs the mechanism and the broker\'s own login, from the listener\'s JAAS entry as Kafka has it', () => {
  const base = { listeners: 'SASL_PLAINTEXT://127.0.0.1:9094' };
  assert.throws(() => settingsFor(base), /set sasl\.mechanism\.inter\.broker\.protocol to PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/);
  assert.throws(() => settingsFor({ ...base, 'sasl.mechanism.inter.broker.protocol': 'GSSAPI' }), /not GSSAPI/);
  assert.throws(() => settingsFor({ ...base, 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512', 'sasl.enabled.mechanisms': 'PLAIN' }), /SCRAM-SHA-512 is not enabled on listener SASL_PLAINTEXT/);
  assert.throws(() => settingsFor({ ...base, 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512' }), /set listener\.name\.sasl_plaintext\.scram-sha-512\.sasl\.jaas\.config with username and password/);
  assert.throws(() => settingsFor({ ...base, 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512', 'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker";' }), /needs username and password/);
  const ok = settingsFor({ ...base, 'sasl.mechanism.inter.broker.protocol': 'scram-sha-512', 'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': JAAS });
  assert.deepEqual(ok.security, { sasl: { mechanism: 'SCRAM-SHA-512', username: 'broker', password: 'broker-secret' } });
  const single = buildBrokerConfig(base);
  assert.deepEqual(interBrokerSettings(single, listenerSpecs(single, { host: '127.0.0.1', port: 0 }), new Map()).security, {}, 'a single broker logs in to no other');
});
