// OAUTHBEARER with real clients, tokens signed by the test's identity provider (its key in a JWKS
// file): confluent-kafka (oauth_cb), KafkaJS (oauthBearerProvider) and kafka-python (a token
// provider) produce and consume over SASL_PLAINTEXT and SASL_SSL; expired and foreign tokens are
// refused by each, and the broker serves on. kcat cannot be handed a token (Debian's librdkafka is
// built without OIDC), so it logs in with librdkafka's own unsigned token on a development listener
// whose validator is the unsecured one, named for that listener alone.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import { freePort, startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { makeTestPki, type TestPki } from '../harness/certificates.ts';
import { runTool } from '../harness/run-tool.ts';

const { Kafka, logLevel } = kafkajs;
const PYTHON = '/usr/bin/python3';
const COUNT = 50;
const issuer = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
let pki: TestPki;
let broker: RunningBroker;
const ports: Record<'SASL_PLAINTEXT' | 'SASL_SSL' | 'DEV', number> = { SASL_PLAINTEXT: 0, SASL_SSL: 0, DEV: 0 };

function jwt(sub: string, options: { expiresIn?: number; key?: KeyObject } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const signed = `${b64({ alg: 'RS256', kid: 'idp-1', typ: 'JWT' })}.${b64({ sub, aud: 'kafka', iss: 'https://idp.test', iat: now, exp: now + (options.expiresIn ?? 3600) })}`;
  return `${signed}.${sign('sha256', Buffer.from(signed), options.key ?? issuer.privateKey).toString('base64url')}`;
}

before(async () => {
  pki = await makeTestPki();
  const jwks = join(pki.dir, 'jwks.json');
  writeFileSync(jwks, JSON.stringify({ keys: [{ ...issuer.publicKey.export({ format: 'jwk' }), kid: 'idp-1', alg: 'RS256', use: 'sig' }] }));
  ports.SASL_PLAINTEXT = await freePort();
  ports.SASL_SSL = await freePort();
  ports.DEV = await freePort();
  broker = await startBroker({
    listeners: `SASL_PLAINTEXT://127.0.0.1:${ports.SASL_PLAINTEXT},SASL_SSL://127.0.0.1:${ports.SASL_SSL},DEV://127.0.0.1:${ports.DEV}`,
    port: ports.SASL_PLAINTEXT,
    args: [
      '--set', 'listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,DEV:SASL_PLAINTEXT',
      '--set', 'listener.name.dev.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler',
      '--set', 'sasl.enabled.mechanisms=OAUTHBEARER',
      '--set', 'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
      '--set', 'listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
      '--set', `sasl.oauthbearer.jwks.endpoint.url=${pathToFileURL(jwks).href}`,
      '--set', 'sasl.oauthbearer.expected.audience=kafka',
      '--set', 'sasl.oauthbearer.expected.issuer=https://idp.test',
      '--set', `ssl.keystore.location=${pki.brokerPem}`,
      '--set', 'group.initial.rebalance.delay.ms=0',
    ],
  });
});

after(async () => {
  await broker?.dispose();
  pki?.dispose();
});

type Listener = 'SASL_PLAINTEXT' | 'SASL_SSL';
const values = Array.from({ length: COUNT }, (_, i) => `v${i}`);

async function confluent(listener: Listener, token: string, topic: string): Promise<{ values?: string[]; error?: string }> {
  const settings = { 'bootstrap.servers': `127.0.0.1:${ports[listener]}`, 'security.protocol': listener, 'sasl.mechanisms': 'OAUTHBEARER', 'oauth.token': token, ...(listener === 'SASL_SSL' ? { 'ssl.ca.location': pki.caCert } : {}) };
  const { stdout } = await runTool(PYTHON, [join(import.meta.dirname, 'secure_confluent.py'), JSON.stringify(settings), topic, String(COUNT), `${topic}-group`], { timeoutMs: 120_000, allowFailure: true });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{"error":"no output"}');
}

async function kafkaPython(listener: Listener, token: string, topic: string): Promise<{ values?: string[]; error?: string }> {
  const settings = { bootstrap_servers: `127.0.0.1:${ports[listener]}`, security_protocol: listener, sasl_mechanism: 'OAUTHBEARER', oauth_token: token, ...(listener === 'SASL_SSL' ? { ssl_cafile: pki.caCert } : {}) };
  const { stdout } = await runTool(PYTHON, [join(import.meta.dirname, 'secure_kafka_python.py'), JSON.stringify(settings), topic, String(COUNT), `${topic}-group`], { timeoutMs: 120_000, allowFailure: true });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{"error":"no output"}');
}

function kafkajsClient(listener: Listener, token: string) {
  return new Kafka({
    clientId: 'millrace-oauth', brokers: [`127.0.0.1:${ports[listener]}`], logLevel: logLevel.NOTHING, retry: { retries: 1 },
    ssl: listener === 'SASL_SSL' ? { ca: [readFileSync(pki.caCert, 'utf8')] } : undefined,
    sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: token }) },
  });
}

async function kafkajsRoundTrip(listener: Listener, token: string, topic: string): Promise<string[]> {
  const kafka = kafkajsClient(listener, token);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: values.map((value) => ({ value })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}-group` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({ eachMessage: async ({ message }) => {
      seen.push(message.value!.toString());
      if (seen.length === COUNT) resolve();
    } });
  });
  await consumer.disconnect();
  return seen;
}

/** kcat on the development listener, with librdkafka's own unsigned token for `principal`. */
const kcatArgs = (principal: string) => [
  '-b', `127.0.0.1:${ports.DEV}`, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=OAUTHBEARER',
  '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true', '-X', `sasl.oauthbearer.config=principal=${principal}`,
];

for (const listener of ['SASL_PLAINTEXT', 'SASL_SSL'] as const) {
  test(`${listener}: confluent-kafka, KafkaJS and kafka-python log in with signed tokens, produce and consume`, async () => {
    const name = listener.toLowerCase().replace('_', '-');
    const c = await confluent(listener, jwt('confluent-app'), `oauth-confluent-${name}`);
    assert.deepEqual(c.values, values, c.error);
    assert.deepEqual((await kafkajsRoundTrip(listener, jwt('kafkajs-app'), `oauth-kafkajs-${name}`)).sort(), [...values].sort());
    const p = await kafkaPython(listener, jwt('python-app'), `oauth-python-${name}`);
    assert.deepEqual(p.values, values, p.error);
  });
}

test('kcat logs in with an unsigned token on the listener whose validator is the unsecured one, and only there', async () => {
  await runTool('kcat', [...kcatArgs('kcat-dev'), '-P', '-t', 'oauth-kcat'], { input: values.join('\n') + '\n', timeoutMs: 60_000 });
  const { stdout } = await runTool('kcat', [...kcatArgs('kcat-dev'), '-C', '-t', 'oauth-kcat', '-o', 'beginning', '-e', '-q'], { timeoutMs: 60_000 });
  assert.deepEqual(stdout.split('\n').filter(Boolean), values);
  const signedOnly = await runTool('kcat', [...kcatArgs('kcat-dev').map((a) => (a === `127.0.0.1:${ports.DEV}` ? `127.0.0.1:${ports.SASL_PLAINTEXT}` : a)), '-L', '-m', '5'], { timeoutMs: 30_000, allowFailure: true });
  assert.notEqual(signedOnly.code, 0, 'an unsigned token is refused where tokens must be signed');
});

test('expired and foreign tokens are refused by every client; the broker serves on', async () => {
  for (const [what, token] of [['expired', jwt('late-app', { expiresIn: -3600 })], ['signed by another key', jwt('forger', { key: stranger.privateKey })]]) {
    const c = await confluent('SASL_PLAINTEXT', token, 'oauth-refused');
    assert.match(c.error ?? '', /invalid_token|Authentication|SASL/i, `confluent-kafka, ${what}: ${JSON.stringify(c)}`);
    // KafkaJS takes the server's error challenge for success, as it does with Kafka; the broker then closes the connection.
    const admin = kafkajsClient('SASL_PLAINTEXT', token).admin();
    await assert.rejects(admin.connect().then(() => admin.listTopics()), `KafkaJS, ${what}`);
    await admin.disconnect();
    const p = await kafkaPython('SASL_PLAINTEXT', token, 'oauth-refused');
    assert.ok(p.error && !p.values, `kafka-python, ${what}: ${JSON.stringify(p)}`);
  }
  const c = await confluent('SASL_PLAINTEXT', jwt('after-app'), 'oauth-after');
  assert.deepEqual(c.values, values, c.error);
});
