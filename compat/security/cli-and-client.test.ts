// The CLI (and so our TypeScript client) against a SASL_SSL listener, configured with
// --command-config files as a Kafka user writes them (Java's and librdkafka's property names):
// SCRAM users made and removed with `millrace user`, checked by kcat logging in as them.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort, startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { makeTestPki, type TestPki } from '../harness/certificates.ts';
import { runTool } from '../harness/run-tool.ts';

const main = join(resolve(import.meta.dirname, '../..'), 'packages/millrace/src/main.ts');
let pki: TestPki;
let broker: RunningBroker;
let javaStyle: string;
let librdkafkaStyle: string;
let wrongPassword: string;

before(async () => {
  pki = await makeTestPki();
  const port = await freePort();
  broker = await startBroker({
    listeners: `SASL_SSL://127.0.0.1:${port}`,
    port,
    args: [
      '--set', `ssl.keystore.location=${pki.brokerPem}`,
      '--set', 'group.initial.rebalance.delay.ms=0',
      '--add-scram', 'SCRAM-SHA-512=[name=admin,password=admin-secret]',
    ],
  });
  javaStyle = join(pki.dir, 'admin-java.properties');
  writeFileSync(javaStyle, [
    'security.protocol=SASL_SSL',
    'sasl.mechanism=SCRAM-SHA-512',
    'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-secret";',
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${pki.caCert}`,
    '',
  ].join('\n'));
  librdkafkaStyle = join(pki.dir, 'admin-librdkafka.properties');
  writeFileSync(librdkafkaStyle, `bootstrap.servers=${broker.bootstrap}\nsecurity.protocol=sasl_ssl\nsasl.mechanisms=SCRAM-SHA-512\nsasl.username=admin\nsasl.password=admin-secret\nssl.ca.location=${pki.caCert}\n`);
  wrongPassword = join(pki.dir, 'wrong.properties');
  writeFileSync(wrongPassword, `security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=admin\nsasl.password=nope\nssl.truststore.location=${pki.caCert}\n`);
});

after(async () => {
  await broker?.dispose();
  pki?.dispose();
});

function millrace(args: string[], input?: string) {
  return runTool(process.execPath, ['--conditions=development', main, ...args], { timeoutMs: 60_000, allowFailure: true, input });
}

/** Whether kcat can log in as `user` with SCRAM-SHA-256 and list the cluster. */
async function kcatLogsIn(user: string, password: string): Promise<boolean> {
  const { code } = await runTool('kcat', [
    '-b', broker.bootstrap, '-L', '-m', '5', '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${pki.caCert}`,
    '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`,
  ], { timeoutMs: 30_000, allowFailure: true });
  return code === 0;
}

test('millrace user add, list and remove over SASL_SSL: users log in, a new password replaces the old, a removed user is refused', async () => {
  const added = await millrace(['user', 'add', 'bob', '--password', 'bob-secret', '--brokers', broker.bootstrap, '--command-config', javaStyle]);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /set SCRAM-SHA-256 and SCRAM-SHA-512 credentials of bob/);
  assert.ok(await kcatLogsIn('bob', 'bob-secret'));

  const listed = await millrace(['user', 'list', '--output', 'json', '--command-config', librdkafkaStyle]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout), [
    { user: 'admin', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
    { user: 'bob', credentials: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }, { mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
  ]);

  const changed = await millrace(['user', 'add', 'bob', '--password', 'bob-new', '--mechanism', 'SCRAM-SHA-256', '--iterations', '8192', '--command-config', librdkafkaStyle]);
  assert.equal(changed.code, 0, changed.stderr);
  assert.equal(await kcatLogsIn('bob', 'bob-secret'), false, 'the old password no longer works');
  assert.ok(await kcatLogsIn('bob', 'bob-new'));

  const removed = await millrace(['user', 'remove', 'bob', '--command-config', librdkafkaStyle]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(await kcatLogsIn('bob', 'bob-new'), false, 'a removed user is refused');
  const gone = await millrace(['user', 'remove', 'bob', '--command-config', librdkafkaStyle]);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /RESOURCE_NOT_FOUND/);
  const short = await millrace(['user', 'add', 'carol', '--password', 'x', '--iterations', '100', '--command-config', librdkafkaStyle]);
  assert.equal(short.code, 2);
});

test('topic, produce, consume and bench through --command-config: our client speaks TLS and SCRAM', async () => {
  const flags = ['--brokers', broker.bootstrap, '--command-config', javaStyle];
  assert.equal((await millrace(['topic', 'create', 'secured', '--partitions', '2', ...flags])).code, 0);
  const produced = await millrace(['produce', 'secured', ...flags], 'one\ntwo\nthree\n');
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await millrace(['consume', 'secured', '-o', 'beginning', '-n', '3', '-g', 'secured-readers', ...flags]);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.split('\n').filter(Boolean).sort(), ['one', 'three', 'two']);
  const bench = await millrace(['bench', 'produce', 'secured', '-n', '2000', '--output', 'json', ...flags]);
  assert.equal(bench.code, 0, bench.stderr);
  assert.equal(JSON.parse(bench.stdout).records, 2000);
});

test('a wrong password in --command-config fails with the broker\'s reason; a bad file is a usage error', async () => {
  const refused = await millrace(['topic', 'list', '--brokers', broker.bootstrap, '--command-config', wrongPassword]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /SASL_AUTHENTICATION_FAILED: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/);
  const missing = await millrace(['topic', 'list', '--command-config', join(pki.dir, 'absent.properties')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*absent\.properties: ENOENT/);
  const unknown = join(pki.dir, 'unknown.properties');
  writeFileSync(unknown, 'security.protocol=SASL_SSL\nsasl.kerberos.service.name=kafka\n');
  const unknownRun = await millrace(['topic', 'list', '--brokers', broker.bootstrap, '--command-config', unknown]);
  assert.equal(unknownRun.code, 2);
  assert.match(unknownRun.stderr, /sasl.kerberos.service.name/);
});
