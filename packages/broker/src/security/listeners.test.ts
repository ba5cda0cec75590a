// Listener settings from a copied Kafka server.properties: what is opened, what is said about what
// is not, and which per-listener settings stop the start.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Broker } from '../broker.ts';
import { buildBrokerConfig } from '../config/broker-config.ts';
import { listenerSpecs } from './listeners.ts';

const fallback = { host: '127.0.0.1', port: 0 };

test('a KRaft controller listener is not opened, and the start-up log says so and why; its own settings are not refused', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'listeners-'));
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
  const config = buildBrokerConfig({
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0',
    'listener.security.protocol.map': 'SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.name.controller.sasl.enabled.mechanisms': 'PLAIN',
  });
  const broker = await Broker.start({ dataDir, ...fallback, log, config });
  try {
    assert.deepEqual(broker.boundListeners.map((l) => l.name), ['SASL_PLAINTEXT']);
    assert.ok(lines.some((l) => /not opening listener CONTROLLER: controller\.listener\.names .*Millrace has no separate controller/.test(l)), lines.join('\n'));
  } finally {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('listeners that are all controllers leave nothing to open, and say why', () => {
  const config = buildBrokerConfig({ listeners: 'CONTROLLER://:9094', 'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT', 'controller.listener.names': 'CONTROLLER' });
  assert.throws(() => listenerSpecs(config, fallback), /names only controller listeners/);
});

test('a setting for a listener that is not there is refused, also when listeners is not set (the one listener is PLAINTEXT)', () => {
  assert.throws(() => listenerSpecs(buildBrokerConfig({ 'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'PLAIN' }), fallback), /there is no listener SASL_SSL \(listeners: PLAINTEXT\)/);
  assert.equal(listenerSpecs(buildBrokerConfig({ 'listener.name.plaintext.ssl.client.auth': 'none' }), fallback).length, 1);
});
