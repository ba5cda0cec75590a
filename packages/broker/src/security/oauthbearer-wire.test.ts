// OAUTHBEARER and re-authentication (KIP-368) on the wire: tokens signed by a key of a JWKS file
// log in; expired, foreign and malformed ones are refused as Kafka refuses them; a login lasts
// connections.max.reauth.ms (or less, to its token's expiry), after which only a new login on the
// same connection keeps it open, as the same principal.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import {
  ApiKey, createMetadataRequest, createSaslAuthenticateRequest, createSaslHandshakeRequest, ErrorCode, type MetadataResponse, type SaslAuthenticateResponse, type SaslHandshakeResponse,
} from '@millrace/protocol';
import { oauthBearerClientFirst, ScramClient } from '@millrace/security';
import { Admin, Producer } from '@millrace/client';
import { Broker } from '../broker.ts';
import { buildBrokerConfig, ConfigError } from '../config/broker-config.ts';
import { silentLogger } from '../logger.ts';
import { WireClient } from '../test-support/wire-client.ts';
import { parseAddScram } from './add-scram.ts';

const dir = mkdtempSync(join(tmpdir(), 'millrace-oauth-'));
const issuer = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwksFile = join(dir, 'jwks.json');
writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...issuer.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' }] }));
const REAUTH_MS = 1500;
let broker: Broker;
let port: number;
/** What the broker logged: a connection closed for an expired login says so. */
const logged: string[] = [];
const capture = { info: (m: string) => logged.push(m), warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) };

function token(claims: Record<string, unknown>, key: KeyObject = issuer.privateKey): string {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const signed = `${b64({ alg: 'RS256', kid: 'k1' })}.${b64({ sub: 'alice', aud: 'kafka', iat: now, exp: now + 3600, ...claims })}`;
  return `${signed}.${sign('sha256', Buffer.from(signed), key).toString('base64url')}`;
}

const settings = {
  listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
  'sasl.enabled.mechanisms': 'OAUTHBEARER,SCRAM-SHA-256',
  'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
  'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;',
  'sasl.oauthbearer.jwks.endpoint.url': pathToFileURL(jwksFile).href,
  'sasl.oauthbearer.expected.audience': 'kafka',
  'connections.max.reauth.ms': String(REAUTH_MS),
  'connection.failed.authentication.delay.ms': '0',
};

before(async () => {
  broker = await Broker.start({
    dataDir: join(dir, 'data'), host: '127.0.0.1', port: 0, log: capture, config: buildBrokerConfig(settings),
    addScram: ['SCRAM-SHA-256=[name=alice,password=alice-secret]', 'SCRAM-SHA-256=[name=bob,password=bob-secret]'].map(parseAddScram),
  });
  port = broker.port;
});

after(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const metadata = (c: WireClient) => c.request<MetadataResponse>(ApiKey.Metadata, 12, createMetadataRequest({ topics: [] }));
const handshake = (c: WireClient, mechanism: string) => c.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, createSaslHandshakeRequest({ mechanism }));
const authenticate = (c: WireClient, authBytes: Buffer) => c.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 2, createSaslAuthenticateRequest({ authBytes }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function oauthLogin(client: WireClient, jwt: string): Promise<SaslAuthenticateResponse> {
  assert.equal((await handshake(client, 'OAUTHBEARER')).errorCode, ErrorCode.NONE);
  return authenticate(client, oauthBearerClientFirst(jwt));
}

async function scramLogin(client: WireClient, user: string, password: string): Promise<SaslAuthenticateResponse> {
  assert.equal((await handshake(client, 'SCRAM-SHA-256')).errorCode, ErrorCode.NONE);
  const scram = new ScramClient('SCRAM-SHA-256', user, password);
  const first = await authenticate(client, scram.first());
  if (first.errorCode !== ErrorCode.NONE) return first;
  return authenticate(client, scram.final(first.authBytes));
}

test('a token signed by the JWKS\'s key logs in as its sub, for connections.max.reauth.ms or until the token expires if sooner', async () => {
  const client = await WireClient.connect(port);
  const answer = await oauthLogin(client, token({}));
  assert.equal(answer.errorCode, ErrorCode.NONE);
  assert.equal(Number(answer.sessionLifetimeMs), REAUTH_MS);
  assert.equal((await metadata(client)).brokers.length, 1);
  client.close();
  const soon = await WireClient.connect(port);
  const short = await oauthLogin(soon, token({ exp: Math.floor(Date.now() / 1000) + 1 }));
  assert.equal(short.errorCode, ErrorCode.NONE);
  assert.ok(Number(short.sessionLifetimeMs) <= 1000, `lifetime ${short.sessionLifetimeMs} ms for a token that expires within a second`);
  soon.close();
});

test('expired, foreign, wrongly addressed and malformed tokens are refused as Kafka refuses them, and only that connection closes', async () => {
  for (const [what, jwt] of [
    ['expired', token({ exp: Math.floor(Date.now() / 1000) - 3600 })],
    ['signed by another key', token({}, stranger.privateKey)],
    ['for another audience', token({ aud: 'billing' })],
    ['not a JWT', 'garbage'],
  ]) {
    const client = await WireClient.connect(port);
    const first = await oauthLogin(client, jwt);
    assert.equal(first.errorCode, ErrorCode.NONE, what);
    assert.equal(first.authBytes.toString(), '{"status":"invalid_token"}', what);
    const final = await authenticate(client, Buffer.from([1]));
    assert.equal(final.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED, what);
    assert.equal(await client.nextFrame(), null, `${what}: closed`);
  }
  const malformed = await WireClient.connect(port);
  await handshake(malformed, 'OAUTHBEARER');
  assert.equal((await authenticate(malformed, Buffer.from('n,,auth=Bearer x'))).errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  const huge = await WireClient.connect(port);
  await handshake(huge, 'OAUTHBEARER');
  assert.equal((await authenticate(huge, oauthBearerClientFirst(`${'a'.repeat(300_000)}.b.c`))).errorCode, ErrorCode.NONE);
  const served = await WireClient.connect(port);
  assert.equal((await oauthLogin(served, token({}))).errorCode, ErrorCode.NONE, 'the broker serves on');
  for (const c of [malformed, huge, served]) c.close();
});

test('KIP-368: past its lifetime a connection that has not logged in again is closed at its next request; one that has goes on; another principal is refused', async () => {
  const idle = await WireClient.connect(port);
  assert.equal(Number((await scramLogin(idle, 'alice', 'alice-secret')).sessionLifetimeMs), REAUTH_MS);
  const renewing = await WireClient.connect(port);
  await scramLogin(renewing, 'alice', 'alice-secret');
  await sleep(REAUTH_MS * 0.6);
  const again = await scramLogin(renewing, 'alice', 'alice-secret');
  assert.equal(again.errorCode, ErrorCode.NONE);
  assert.equal(Number(again.sessionLifetimeMs), REAUTH_MS);
  await sleep(REAUTH_MS * 0.6);
  assert.equal((await metadata(renewing)).brokers.length, 1, 'the renewed login is served');
  await assert.rejects(metadata(idle), /closed the connection/, 'the expired one is closed');

  const switching = await WireClient.connect(port);
  await scramLogin(switching, 'alice', 'alice-secret');
  const other = await scramLogin(switching, 'bob', 'bob-secret');
  assert.equal(other.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.match(other.errorMessage ?? '', /Cannot change principals during re-authentication from User:alice: User:bob/);
  renewing.close();
});

test('OAUTHBEARER without a JWKS stops the broker at start-up unless the unsecured handler is named; named, it takes unsigned tokens', async () => {
  const bare = { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'OAUTHBEARER' };
  await assert.rejects(Broker.start({ dataDir: join(dir, 'refused'), host: '127.0.0.1', port: 0, log: silentLogger, config: buildBrokerConfig(bare) }),
    (err: Error) => err instanceof ConfigError && /set sasl\.oauthbearer\.jwks\.endpoint\.url/.test(err.message) && /OAuthBearerUnsecuredValidatorCallbackHandler/.test(err.message));
  await assert.rejects(Broker.start({ dataDir: join(dir, 'refused'), host: '127.0.0.1', port: 0, log: silentLogger, config: buildBrokerConfig({ ...bare, 'sasl.oauthbearer.jwks.endpoint.url': pathToFileURL(join(dir, 'absent.json')).href }) }),
    (err: Error) => err instanceof ConfigError && /the JWKS at .* cannot be read/.test(err.message));
  const unsecured = await Broker.start({
    dataDir: join(dir, 'unsecured'), host: '127.0.0.1', port: 0, log: silentLogger,
    config: buildBrokerConfig({ ...bare, 'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': 'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler' }),
  });
  try {
    const client = await WireClient.connect(unsecured.port);
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    assert.equal((await oauthLogin(client, `${b64({ alg: 'none' })}.${b64({ sub: 'dev', exp: Math.floor(Date.now() / 1000) + 60 })}.`)).errorCode, ErrorCode.NONE);
    client.close();
  } finally {
    await unsecured.stop();
  }
});

test('our client logs in with a token from its token function, and renews its login on the same connection before it expires', async () => {
  let tokens = 0;
  const sasl = { mechanism: 'OAUTHBEARER' as const, token: () => (tokens++, token({ sub: 'ts-app' })) };
  const admin = new Admin({ brokers: [`127.0.0.1:${port}`], sasl });
  const producer = new Producer({ brokers: [`127.0.0.1:${port}`], sasl });
  const before = logged.length;
  try {
    await admin.createTopics([{ topic: 'renewed', partitions: 1 }]);
    const until = Date.now() + REAUTH_MS * 3;
    let sent = 0;
    while (Date.now() < until) {
      await producer.send('renewed', [{ value: `r${sent++}` }]);
      await sleep(100);
    }
    assert.ok(tokens >= 4, `${tokens} tokens asked for: each connection's first login and its renewals`);
    assert.deepEqual(logged.slice(before).filter((line) => /without a re-authentication/.test(line)), [], 'no connection outlived its login');
  } finally {
    await producer.close();
    await admin.close();
  }
  const refused = new Admin({ brokers: [`127.0.0.1:${port}`], sasl: { mechanism: 'OAUTHBEARER', token: () => token({}, stranger.privateKey) }, requestTimeoutMs: 5000 });
  await assert.rejects(refused.listTopics(), /SASL_AUTHENTICATION_FAILED|invalid_token/);
  await refused.close();
});

test('a JWKS fetched over HTTP: a key the provider adds later is fetched the first time a token names it; unknown key ids do not make the broker fetch again and again', async () => {
  const rotated = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = (key: KeyObject, kid: string) => ({ ...key.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' });
  let served = [jwk(issuer.publicKey, 'k1')];
  let fetches = 0;
  const provider = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: served }));
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(provider.address() as { port: number }).port}/jwks.json`;
  const fetching = await Broker.start({ dataDir: join(dir, 'http-jwks'), host: '127.0.0.1', port: 0, log: silentLogger, config: buildBrokerConfig({ ...settings, 'sasl.oauthbearer.jwks.endpoint.url': url }) });
  const signedBy = (key: KeyObject, kid: string) => {
    const now = Math.floor(Date.now() / 1000);
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const signed = `${b64({ alg: 'RS256', kid })}.${b64({ sub: 'alice', aud: 'kafka', exp: now + 600 })}`;
    return `${signed}.${sign('sha256', Buffer.from(signed), key).toString('base64url')}`;
  };
  try {
    const login = async (jwt: string) => {
      const client = await WireClient.connect(fetching.port);
      const answer = await oauthLogin(client, jwt);
      client.close();
      return answer.authBytes.length === 0 && answer.errorCode === ErrorCode.NONE;
    };
    assert.equal(await login(signedBy(issuer.privateKey, 'k1')), true);
    assert.equal(fetches, 1, 'read once at start-up');
    served = [...served, jwk(rotated.publicKey, 'k2')];
    assert.equal(await login(signedBy(rotated.privateKey, 'k2')), true, 'the new key was fetched when a token named it');
    assert.equal(fetches, 2);
    assert.equal(await login(signedBy(rotated.privateKey, 'k3')), false, 'an unknown key id');
    assert.equal(fetches, 2, 'not fetched again within 10 seconds');
  } finally {
    await fetching.stop();
    provider.close();
  }
});
