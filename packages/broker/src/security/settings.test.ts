// Listener and TLS settings a Kafka user copies: what is opened, and what stops the broker at start-up with one clear line.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Broker } from '../broker.ts';
import { buildBrokerConfig, ConfigError } from '../config/broker-config.ts';
import { silentLogger } from '../logger.ts';
import { listenerSpecs } from './listeners.ts';
import { tlsOptions } from './tls-options.ts';

test('a KRaft server.properties\' controller listener is not opened; a setting for a listener that is not there is refused', () => {
  const config = buildBrokerConfig({
    listeners: 'SASL_SSL://:9093,CONTROLLER://:9094',
    'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
  });
  assert.deepEqual(listenerSpecs(config, { host: '127.0.0.1', port: 0 }).map((l) => l.name), ['SASL_SSL']);
  const typo = buildBrokerConfig({ listeners: 'SASL_SSL://:9093', 'listener.name.internal.ssl.client.auth': 'required' });
  assert.throws(() => listenerSpecs(typo, { host: '127.0.0.1', port: 0 }), /listener\.name\.internal\.ssl\.client\.auth: there is no listener INTERNAL/);
});

test('TLS files that cannot serve are refused at start-up, naming the listener and the setting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tls-settings-'));
  try {
    const jks = join(dir, 'broker.jks');
    writeFileSync(jks, Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]));
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    const tls = (settings: Record<string, string>) => tlsOptions(buildBrokerConfig({ listeners: 'SSL://:9093', ...settings }), 'SSL');
    assert.throws(() => tls({ 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': jks }), /is a Java keystore \(JKS\); convert it/);
    assert.throws(() => tls({ 'ssl.keystore.location': garbage }), /listener SSL: the TLS keystore or truststore cannot be used/);
    assert.throws(() => tls({ 'ssl.keystore.location': garbage, 'ssl.keystore.password': 'x' }), /ssl\.keystore\.password means nothing for a PEM keystore/);
    assert.throws(() => tls({ 'ssl.keystore.type': 'JKS', 'ssl.keystore.location': jks }), /ssl\.keystore\.type JKS is not supported/);
    assert.throws(() => tls({ 'ssl.principal.mapping.rules': 'RULE:(/x/' }), /listener SSL: ssl\.principal\.mapping\.rules/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the pre-authentication limits must be whole numbers: "512k" does not silently lift the frame limit', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sasl-settings-'));
  try {
    for (const [key, value] of [['sasl.server.max.receive.size', '512k'], ['connection.failed.authentication.delay.ms', '-1']]) {
      // Refused as the settings are read (buildBrokerConfig) or as the broker starts: either way before it serves.
      await assert.rejects(async () => Broker.start({ dataDir, host: '127.0.0.1', port: 0, log: silentLogger, config: buildBrokerConfig({ [key]: value }) }),
        (err: Error) => err instanceof ConfigError && err.message.includes(key));
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('connection limits, quota and idle settings are checked at start-up, each refusal one line naming the setting', async () => {
  const refusals: [Record<string, string>, RegExp][] = [
    [{ 'max.connections': 'lots' }, /max\.connections must be a whole number/],
    [{ 'max.connections.per.ip': '-1' }, /max\.connections\.per\.ip must be a whole number/],
    [{ 'max.connections.per.ip.overrides': '10.0.0.1' }, /max\.connections\.per\.ip\.overrides: expected host:count, got "10\.0\.0\.1"/],
    [{ 'max.connections.per.ip.overrides': '10.0.0.1:many' }, /max\.connections\.per\.ip\.overrides must be a whole number/],
    [{ listeners: 'PLAINTEXT://127.0.0.1:0', 'listener.name.plaintext.max.connections': 'x' }, /listener\.name\.plaintext\.max\.connections must be a whole number/],
    [{ 'quota.window.size.seconds': '0' }, /quota\.window\.size\.seconds must be a whole number from 1 /],
    [{ 'connections.max.idle.ms': '-5' }, /connections\.max\.idle\.ms must be a whole number from -1 /],
  ];
  for (const [settings, message] of refusals) {
    const dataDir = join(tmpdir(), `never-made-${process.pid}`);
    await assert.rejects(async () => Broker.start({ dataDir, host: '127.0.0.1', port: 0, config: buildBrokerConfig(settings), log: silentLogger }), (err: Error) => err instanceof ConfigError && message.test(err.message), JSON.stringify(settings));
    assert.equal(existsSync(dataDir), false, 'nothing was written before the refusal');
  }
});
