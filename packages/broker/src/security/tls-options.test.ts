// Keystores and truststores as operators bring them: each one TLS cannot use is refused at
// start-up naming the listener and the setting, not later by OpenSSL with no setting named.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildBrokerConfig, ConfigError } from '../config/broker-config.ts';
import { tlsOptions } from './tls-options.ts';

const dir = mkdtempSync(join(tmpdir(), 'tls-options-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', file('key.pem'), '-out', file('cert.pem'), '-days', '1', '-subj', '/CN=localhost');
openssl('pkey', '-in', file('key.pem'), '-aes256', '-passout', 'pass:right', '-out', file('encrypted-key.pem'));
openssl('pkcs12', '-export', '-in', file('cert.pem'), '-inkey', file('key.pem'), '-passout', 'pass:right', '-out', file('broker.p12'));
writeFileSync(file('broker.pem'), readFileSync(file('key.pem'), 'utf8') + readFileSync(file('cert.pem'), 'utf8'));
writeFileSync(file('encrypted.pem'), readFileSync(file('encrypted-key.pem'), 'utf8') + readFileSync(file('cert.pem'), 'utf8'));
writeFileSync(file('truststore.jks'), Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]));
writeFileSync(file('garbage.pem'), 'not a certificate\n');

const tls = (settings: Record<string, string>) => tlsOptions(buildBrokerConfig({ listeners: 'SSL://:9093', ...settings }), 'SSL');
const pem = { 'ssl.keystore.location': file('broker.pem') };
const p12 = { 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': file('broker.p12') };

test('keystores TLS can use are accepted, and ssl.client.auth in any case, as Kafka reads it', () => {
  assert.equal(tls({ ...pem, 'ssl.truststore.location': file('cert.pem'), 'ssl.client.auth': 'REQUIRED' }).clientAuth, 'required');
  assert.ok(tls({ 'ssl.keystore.location': file('encrypted.pem'), 'ssl.key.password': 'right' }));
  assert.ok(tls({ ...p12, 'ssl.keystore.password': 'right' }));
});

test('a wrong passphrase is refused at start-up with the listener and the setting named', () => {
  assert.throws(() => tls({ 'ssl.keystore.location': file('encrypted.pem'), 'ssl.key.password': 'wrong' }),
    (err: Error) => err instanceof ConfigError && /^listener SSL: the TLS keystore or truststore cannot be used: ssl\.keystore\.location .*encrypted\.pem with ssl\.key\.password: /.test(err.message));
  assert.throws(() => tls({ ...p12, 'ssl.keystore.password': 'wrong' }), /listener SSL: .*ssl\.keystore\.location .*broker\.p12 with ssl\.keystore\.password: /);
});

test('a truststore without certificates, or a Java one, is refused rather than trusting no one', () => {
  assert.throws(() => tls({ ...pem, 'ssl.truststore.location': file('garbage.pem') }), /listener SSL: ssl\.truststore\.location .*garbage\.pem holds no PEM certificate/);
  assert.throws(() => tls({ ...pem, 'ssl.truststore.certificates': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }), /listener SSL: ssl\.truststore\.certificates: certificate 1 cannot be read/);
  assert.throws(() => tls({ ...pem, 'ssl.truststore.location': file('truststore.jks') }), /listener SSL: ssl\.truststore\.location: .* is a Java keystore \(JKS\); convert it/);
});

test('a password the store type does not read is refused, as Kafka refuses it', () => {
  assert.throws(() => tls({ ...pem, 'ssl.truststore.location': file('cert.pem'), 'ssl.truststore.password': 'x' }), /ssl\.truststore\.password means nothing for a PEM truststore/);
  assert.throws(() => tls({ ...p12, 'ssl.keystore.password': 'right', 'ssl.key.password': 'right' }), /ssl\.key\.password means nothing for a PKCS12 keystore/);
});
