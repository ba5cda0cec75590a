// Real clients over secured listeners: kcat and confluent-kafka (librdkafka), KafkaJS, kafka-python
// and our TypeScript client produce and consume through SASL_PLAINTEXT, SASL_SSL and SSL (mutual TLS
// too), with each mechanism they speak; wrong passwords, unknown users and certificates of another
// CA are refused.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import kafkajs, { type SASLOptions } from 'kafkajs';
import { Admin, Consumer, Producer } from '@millrace/client';
import { freePort, startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { makeTestPki, type TestPki } from '../harness/certificates.ts';
import { runTool } from '../harness/run-tool.ts';

const { Kafka, logLevel } = kafkajs;
const PYTHON = '/usr/bin/python3';
const COUNT = 50;

let pki: TestPki;
let broker: RunningBroker;
const ports: Record<string, number> = {};

/** One way in: a listener, and the SASL mechanism and user on it (none on SSL listeners). */
interface Case {
  name: string;
  listener: 'SASL_PLAINTEXT' | 'SASL_SSL' | 'SSL' | 'MTLS';
  mechanism?: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  user?: string;
  password?: string;
  /** A client certificate: the CA's own, or one of a CA the broker does not trust. */
  certificate?: 'trusted' | 'stranger';
}

const CASES: Case[] = [
  // PLAIN on SASL_PLAINTEXT checks the JAAS entry's users; on SASL_SSL, the SCRAM credentials.
  { name: 'sasl-plaintext-plain', listener: 'SASL_PLAINTEXT', mechanism: 'PLAIN', user: 'carol', password: 'carol-secret' },
  { name: 'sasl-plaintext-scram256', listener: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-256', user: 'alice', password: 'alice-secret' },
  { name: 'sasl-plaintext-scram512', listener: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-512', user: 'alice', password: 'alice-secret' },
  { name: 'sasl-ssl-plain', listener: 'SASL_SSL', mechanism: 'PLAIN', user: 'alice', password: 'alice-secret' },
  { name: 'sasl-ssl-scram512', listener: 'SASL_SSL', mechanism: 'SCRAM-SHA-512', user: 'alice', password: 'alice-secret' },
  { name: 'ssl', listener: 'SSL' },
  { name: 'mtls', listener: 'MTLS', certificate: 'trusted' },
];

before(async () => {
  pki = await makeTestPki();
  for (const name of ['SASL_PLAINTEXT', 'SASL_SSL', 'SSL', 'MTLS']) ports[name] = await freePort();
  const listeners = Object.entries(ports).map(([name, port]) => `${name}://127.0.0.1:${port}`).join(',');
  broker = await startBroker({
    listeners,
    port: ports.SASL_PLAINTEXT,
    args: [
      '--set', 'listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL,MTLS:SSL',
      '--set', `ssl.keystore.location=${pki.brokerPem}`,
      '--set', `ssl.truststore.location=${pki.caCert}`,
      '--set', 'listener.name.mtls.ssl.client.auth=required',
      '--set', 'listener.name.mtls.ssl.principal.mapping.rules=RULE:^CN=([^,]*),.*$/$1/,DEFAULT',
      '--set', 'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_carol="carol-secret";',
      '--add-scram', 'SCRAM-SHA-256=[name=alice,password=alice-secret]',
      '--add-scram', 'SCRAM-SHA-512=[name=alice,password=alice-secret,iterations=8192]',
      '--set', 'num.partitions=2',
    ],
  });
});

after(async () => {
  await broker?.dispose();
  pki?.dispose();
});

const bootstrap = (c: Case) => `127.0.0.1:${ports[c.listener]}`;
const tls = (c: Case) => c.listener !== 'SASL_PLAINTEXT';
const securityProtocol = (c: Case) => (c.listener === 'MTLS' ? 'SSL' : c.listener);
const values = Array.from({ length: COUNT }, (_, i) => `v${i}`);

/** librdkafka's settings (kcat -X, confluent-kafka) for a case. */
function librdkafkaSettings(c: Case): Record<string, string> {
  const s: Record<string, string> = { 'bootstrap.servers': bootstrap(c), 'security.protocol': securityProtocol(c) };
  if (c.mechanism) Object.assign(s, { 'sasl.mechanisms': c.mechanism, 'sasl.username': c.user!, 'sasl.password': c.password! });
  if (tls(c)) s['ssl.ca.location'] = pki.caCert;
  if (c.certificate) {
    s['ssl.certificate.location'] = c.certificate === 'trusted' ? pki.clientCert : pki.strangerCert;
    s['ssl.key.location'] = c.certificate === 'trusted' ? pki.clientKey : pki.strangerKey;
  }
  return s;
}

const kcatArgs = (c: Case) => Object.entries(librdkafkaSettings(c)).flatMap(([k, v]) => (k === 'bootstrap.servers' ? ['-b', v] : ['-X', `${k}=${v}`]));

async function kcatRoundTrip(c: Case, topic: string): Promise<string[]> {
  await runTool('kcat', [...kcatArgs(c), '-P', '-t', topic], { input: values.join('\n') + '\n', timeoutMs: 60_000 });
  const { stdout } = await runTool('kcat', [...kcatArgs(c), '-C', '-t', topic, '-o', 'beginning', '-e', '-q'], { timeoutMs: 60_000 });
  return stdout.split('\n').filter(Boolean);
}

function kafkaPythonSettings(c: Case): Record<string, string> {
  const s: Record<string, string> = { bootstrap_servers: bootstrap(c), security_protocol: securityProtocol(c) };
  if (c.mechanism) Object.assign(s, { sasl_mechanism: c.mechanism, sasl_plain_username: c.user!, sasl_plain_password: c.password! });
  if (tls(c)) Object.assign(s, { ssl_cafile: pki.caCert, ssl_check_hostname: 'True' });
  if (c.certificate) Object.assign(s, { ssl_certfile: c.certificate === 'trusted' ? pki.clientCert : pki.strangerCert, ssl_keyfile: c.certificate === 'trusted' ? pki.clientKey : pki.strangerKey });
  return s;
}

async function pythonRoundTrip(script: string, settings: Record<string, unknown>, topic: string): Promise<{ values?: string[]; error?: string }> {
  const { stdout } = await runTool(PYTHON, [join(import.meta.dirname, script), JSON.stringify(settings), topic, String(COUNT), `${topic}-group`], { timeoutMs: 120_000, allowFailure: true });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{"error":"no output"}') as { values?: string[]; error?: string };
}

function kafkajsClient(c: Case) {
  const sasl = c.mechanism ? { mechanism: c.mechanism.toLowerCase(), username: c.user!, password: c.password! } as SASLOptions : undefined;
  const ssl = tls(c)
    ? {
      ca: [readFileSync(pki.caCert, 'utf8')],
      ...(c.certificate ? { cert: readFileSync(c.certificate === 'trusted' ? pki.clientCert : pki.strangerCert, 'utf8'), key: readFileSync(c.certificate === 'trusted' ? pki.clientKey : pki.strangerKey, 'utf8') } : {}),
    }
    : undefined;
  return new Kafka({ clientId: 'millrace-security', brokers: [bootstrap(c)], ssl, sasl, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
}

async function kafkajsRoundTrip(c: Case, topic: string): Promise<string[]> {
  const kafka = kafkajsClient(c);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: values.map((value) => ({ value })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}-group` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`KafkaJS read ${seen.length} of ${COUNT}`)), 60_000);
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString());
        if (seen.length === COUNT) {
          clearTimeout(timer);
          resolve();
        }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  return seen;
}

/** Our client's options for a case: Node's TLS options and the SASL login. */
function millraceClient(c: Case) {
  const tlsOptions = tls(c)
    ? { ca: readFileSync(pki.caCert, 'utf8'), ...(c.certificate ? { cert: readFileSync(c.certificate === 'trusted' ? pki.clientCert : pki.strangerCert, 'utf8'), key: readFileSync(c.certificate === 'trusted' ? pki.clientKey : pki.strangerKey, 'utf8') } : {}) }
    : undefined;
  return { brokers: [bootstrap(c)], tls: tlsOptions, sasl: c.mechanism ? { mechanism: c.mechanism, username: c.user!, password: c.password! } : undefined, requestTimeoutMs: 10_000 };
}

async function millraceRoundTrip(c: Case, topic: string): Promise<string[]> {
  const producer = new Producer(millraceClient(c));
  try {
    await producer.send(topic, values.map((value) => ({ value })));
  } finally {
    await producer.close();
  }
  const consumer = new Consumer({ ...millraceClient(c), groupId: `${topic}-group`, autoOffsetReset: 'earliest' });
  consumer.subscribe([topic]);
  const seen: string[] = [];
  try {
    for await (const record of consumer.records()) {
      seen.push(record.value!.toString());
      if (seen.length === COUNT) break;
    }
  } finally {
    await consumer.close();
  }
  return seen;
}

for (const c of CASES) {
  test(`${c.name}: kcat, confluent-kafka, KafkaJS, kafka-python and our client each produce ${COUNT} records and read them back`, async () => {
    assert.deepEqual((await kcatRoundTrip(c, `kcat-${c.name}`)).sort(), [...values].sort(), 'kcat');
    const confluent = await pythonRoundTrip('secure_confluent.py', librdkafkaSettings(c), `confluent-${c.name}`);
    assert.deepEqual(confluent.values?.sort(), [...values].sort(), `confluent-kafka: ${confluent.error}`);
    assert.deepEqual((await kafkajsRoundTrip(c, `kafkajs-${c.name}`)).sort(), [...values].sort(), 'KafkaJS');
    const kafkaPython = await pythonRoundTrip('secure_kafka_python.py', kafkaPythonSettings(c), `kafka-python-${c.name}`);
    assert.deepEqual(kafkaPython.values?.sort(), [...values].sort(), `kafka-python: ${kafkaPython.error}`);
    assert.deepEqual((await millraceRoundTrip(c, `millrace-${c.name}`)).sort(), [...values].sort(), 'our client');
  });
}

test('the broker names itself on the listener a client came in on', async () => {
  for (const c of [CASES[0], CASES[4], CASES[5]]) {
    const { stdout } = await runTool('kcat', [...kcatArgs(c), '-L', '-J'], { timeoutMs: 30_000 });
    const md = JSON.parse(stdout) as { brokers: { name: string }[] };
    assert.deepEqual(md.brokers.map((b) => b.name), [`127.0.0.1:${ports[c.listener]}`], c.name);
  }
});

const refusals: { what: string; c: Case; kcat: RegExp; kafkajs: RegExp; ours: RegExp; brokerLog?: RegExp }[] = [
  {
    what: 'a wrong password (SCRAM-SHA-256)',
    c: { name: 'wrong', listener: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-256', user: 'alice', password: 'wrong' },
    kcat: /Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/,
    kafkajs: /SASL SCRAM SHA256 authentication failed/,
    ours: /SASL_AUTHENTICATION_FAILED: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/,
  },
  {
    what: 'an unknown user (PLAIN over TLS)',
    c: { name: 'unknown', listener: 'SASL_SSL', mechanism: 'PLAIN', user: 'mallory', password: 'alice-secret' },
    kcat: /Authentication failed: Invalid username or password/,
    kafkajs: /SASL PLAIN authentication failed/,
    ours: /SASL_AUTHENTICATION_FAILED: Authentication failed: Invalid username or password/,
  },
  {
    what: 'a SCRAM user logging in with PLAIN on the listener whose PLAIN users are its JAAS entry\'s',
    c: { name: 'jaas-only', listener: 'SASL_PLAINTEXT', mechanism: 'PLAIN', user: 'alice', password: 'alice-secret' },
    kcat: /Authentication failed/,
    kafkajs: /SASL PLAIN authentication failed/,
    ours: /SASL_AUTHENTICATION_FAILED/,
  },
  {
    what: 'a client certificate from another CA on a listener that requires one',
    c: { name: 'stranger', listener: 'MTLS', certificate: 'stranger' },
    // Under TLS 1.3 the client's side of the handshake is over before the broker checks its
    // certificate, so librdkafka sees the connection end; the broker's log says why.
    kcat: /unexpected eof|SSL handshake failed/i,
    brokerLog: /refusing .* on listener MTLS: its client certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
    kafkajs: /certificate|alert|socket|closed|ECONNRESET/i,
    ours: /certificate|alert|socket|closed|ECONNRESET|connect/i,
  },
  {
    what: 'no client certificate on a listener that requires one',
    c: { name: 'no-cert', listener: 'MTLS' },
    kcat: /unexpected eof|SSL handshake failed/i,
    brokerLog: /refusing .* on listener MTLS: it sent no client certificate \(ssl.client.auth=required\)/,
    kafkajs: /certificate|alert|socket|closed|ECONNRESET/i,
    ours: /certificate|alert|socket|closed|ECONNRESET|connect/i,
  },
];

for (const r of refusals) {
  test(`refused: ${r.what}, by kcat, confluent-kafka, KafkaJS, kafka-python and our client; the broker serves on`, async () => {
    const kcat = await runTool('kcat', [...kcatArgs(r.c), '-L', '-m', '5'], { timeoutMs: 30_000, allowFailure: true });
    assert.notEqual(kcat.code, 0);
    assert.match(kcat.stderr, r.kcat);
    if (r.brokerLog) assert.match(broker.output(), r.brokerLog);
    const confluent = await pythonRoundTrip('secure_confluent.py', librdkafkaSettings(r.c), `refused-${r.c.name}`);
    assert.ok(confluent.error && !confluent.values, `confluent-kafka must fail: ${JSON.stringify(confluent)}`);
    await assert.rejects(async () => {
      const admin = kafkajsClient(r.c).admin();
      try {
        await admin.connect();
        await admin.listTopics();
      } finally {
        await admin.disconnect();
      }
    }, r.kafkajs);
    const kafkaPython = await pythonRoundTrip('secure_kafka_python.py', { ...kafkaPythonSettings(r.c), request_timeout_ms: 10_000, api_version_auto_timeout_ms: 5_000 }, `refused-py-${r.c.name}`);
    assert.ok(kafkaPython.error && !kafkaPython.values, `kafka-python must fail: ${JSON.stringify(kafkaPython)}`);
    const ours = new Admin({ ...millraceClient(r.c), connectTimeoutMs: 5000 });
    await assert.rejects(ours.listTopics().finally(() => ours.close()), r.ours, 'our client');
    assert.deepEqual((await kcatRoundTrip(CASES[1], `after-${r.c.name}`)).length, COUNT, 'a good client is still served');
  });
}
