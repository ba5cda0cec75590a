import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distinguishedName, mapPrincipalName, parseMappingRules, parsePrincipal, principalString } from './principal.ts';
import { parseJaasConfig } from './jaas.ts';
import { parsePlain } from './plain.ts';

test('ssl.principal.mapping.rules: the first rule matching the whole name maps it, DEFAULT keeps it, L and U change case', () => {
  const rules = parseMappingRules('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=([^,]*),O=(.*)$/$1@$2/L, DEFAULT');
  assert.equal(mapPrincipalName(rules, 'CN=kafka-connect,OU=ServiceUsers,O=Example'), 'kafka-connect');
  assert.equal(mapPrincipalName(rules, 'CN=Alice,O=Example'), 'alice@example');
  assert.equal(mapPrincipalName(rules, 'CN=bob,OU=People,O=Example'), 'CN=bob,OU=People,O=Example');
  assert.equal(mapPrincipalName(parseMappingRules('RULE:^CN=([^,]*).*$/$1/U'), 'CN=carol,O=X'), 'CAROL');
  assert.throws(() => mapPrincipalName(parseMappingRules('RULE:^CN=admin$/admin/'), 'CN=eve'), /no ssl.principal.mapping.rules entry matches/);
  assert.throws(() => parseMappingRules('RULE:^CN=(.*$/x/'), /not a valid pattern/);
  assert.throws(() => parseMappingRules('SOMETHING'), /expected DEFAULT or RULE/);
});

test('principals are "Type:name" and the name may hold colons', () => {
  assert.deepEqual(parsePrincipal('User:CN=a:b'), { type: 'User', name: 'CN=a:b' });
  assert.equal(principalString({ type: 'User', name: 'alice' }), 'User:alice');
  assert.throws(() => parsePrincipal('alice'), /User:name/);
});

test('a JAAS entry as Kafka writes it in sasl.jaas.config is read, quoted values unquoted; a malformed one is refused', () => {
  const entry = parseJaasConfig('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin secret;=" user_admin="admin secret;=" user_alice=alice-pw;');
  assert.equal(entry.loginModule, 'org.apache.kafka.common.security.plain.PlainLoginModule');
  assert.deepEqual([...entry.options], [['username', 'admin'], ['password', 'admin secret;='], ['user_admin', 'admin secret;='], ['user_alice', 'alice-pw']]);
  assert.throws(() => parseJaasConfig('Module required a="b"'), /end with ";"/);
  assert.throws(() => parseJaasConfig('Module required a="b;'), /could not be read/);
  assert.throws(() => parseJaasConfig('Module whenever a=b;'), /required/);
  assert.throws(() => parseJaasConfig('M required a=b; N required c=d;'), /more than one/);
});

test('PLAIN: authorization id, user and password; an authorization id of another user is refused', () => {
  assert.deepEqual(parsePlain(Buffer.from('\0alice\0pw')), { username: 'alice', password: 'pw' });
  assert.deepEqual(parsePlain(Buffer.from('alice\0alice\0pw')), { username: 'alice', password: 'pw' });
  assert.throws(() => parsePlain(Buffer.from('admin\0alice\0pw')), /authorization id/);
  assert.throws(() => parsePlain(Buffer.from('alice\0pw')), /3 tokens/);
  assert.throws(() => parsePlain(Buffer.from('\0\0pw')), /username/);
});

test('a certificate\'s subject is named as Java\'s X500Principal.getName() names it: RFC 2253, escapes kept once, a multi-valued RDN in its own order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-'));
  try {
    const cert = join(dir, 'c.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'c.key'), '-out', cert, '-days', '1', '-subj', '/C=US/O=Acme, Inc/OU=eng+UID=42/CN=alice'], { stdio: 'ignore' });
    // What Java prints for this certificate (openssl -nameopt RFC2253 differs: it reverses a multi-valued RDN's parts too).
    assert.equal(distinguishedName(new X509Certificate(readFileSync(cert))), 'CN=alice,OU=eng+UID=42,O=Acme\\, Inc,C=US');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
