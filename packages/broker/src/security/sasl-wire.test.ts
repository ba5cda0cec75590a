// A SASL listener seen from the wire: what a client may send before it authenticates, how each
// mechanism completes, and how failures and hostile frames end the connection while the broker
// serves everyone else.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  ApiKey, createApiVersionsRequest, createMetadataRequest, createSaslAuthenticateRequest, createSaslHandshakeRequest, decodeResponseFrame, ErrorCode,
  type ApiVersionsResponse, type MetadataResponse, type SaslAuthenticateResponse, type SaslHandshakeResponse,
} from '@millrace/protocol';
import { plainToken, ScramClient } from '@millrace/security';
import { Broker } from '../broker.ts';
import { buildBrokerConfig } from '../config/broker-config.ts';
import { silentLogger } from '../logger.ts';
import { WireClient } from '../test-support/wire-client.ts';
import { parseAddScram } from './add-scram.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'millrace-sasl-'));
const settings = {
  listeners: 'SASL_PLAINTEXT://127.0.0.1:0,PLAINTEXT://127.0.0.1:0',
  'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
  'connection.failed.authentication.delay.ms': '10',
};
let broker: Broker;
let saslPort: number;
let plainPort: number;

async function start(addScram: string[]): Promise<void> {
  broker = await Broker.start({ dataDir, host: '127.0.0.1', port: 0, config: buildBrokerConfig(settings), log: silentLogger, addScram: addScram.map(parseAddScram) });
  saslPort = broker.boundListeners.find((l) => l.name === 'SASL_PLAINTEXT')!.port;
  plainPort = broker.boundListeners.find((l) => l.name === 'PLAINTEXT')!.port;
}

before(() => start(['SCRAM-SHA-256=[name=alice,password=alice-secret]', 'SCRAM-SHA-512=[name=alice,password=alice-secret]']));

after(async () => {
  await broker.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const metadata = (c: WireClient) => c.request<MetadataResponse>(ApiKey.Metadata, 12, createMetadataRequest({ topics: null }));
const handshake = (c: WireClient, mechanism: string, version = 1) => c.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, version, createSaslHandshakeRequest({ mechanism }));
const authenticate = (c: WireClient, authBytes: Buffer) => c.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 2, createSaslAuthenticateRequest({ authBytes }));

/** True when the broker closes the connection without sending anything more. */
async function closedWithoutAnswer(c: WireClient): Promise<boolean> {
  return (await c.nextFrame()) === null;
}

async function scramLogin(mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', user: string, password: string): Promise<{ client: WireClient; final: SaslAuthenticateResponse }> {
  const client = await WireClient.connect(saslPort);
  const scram = new ScramClient(mechanism, user, password);
  assert.equal((await handshake(client, mechanism)).errorCode, ErrorCode.NONE);
  const first = await authenticate(client, scram.first());
  assert.equal(first.errorCode, ErrorCode.NONE);
  const final = await authenticate(client, scram.final(first.authBytes));
  if (final.errorCode === ErrorCode.NONE) scram.verifyServerFinal(final.authBytes);
  return { client, final };
}

test('before authentication only ApiVersions and the SASL requests are answered; anything else closes the connection unanswered', async () => {
  const client = await WireClient.connect(saslPort);
  const versions = await client.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, createApiVersionsRequest({ clientSoftwareName: 'wire', clientSoftwareVersion: '1' }));
  assert.ok(versions.apiKeys.some((k) => k.apiKey === ApiKey.SaslAuthenticate));
  const answer = client.nextFrame();
  client.sendRaw(client.frame(ApiKey.Metadata, 12, createMetadataRequest({ topics: null })));
  assert.equal(await answer, null);
});

for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
  test(`${mechanism} through SaslHandshake v1 and SaslAuthenticate: the server proves itself, then every API is served and brokers are named on this listener`, async () => {
    const { client, final } = await scramLogin(mechanism, 'alice', 'alice-secret');
    assert.equal(final.errorCode, ErrorCode.NONE);
    assert.equal(final.sessionLifetimeMs, 0n);
    const md = await metadata(client);
    assert.deepEqual(md.brokers.map((b) => b.port), [saslPort]);
    client.close();
  });
}

test('a wrong password and an unknown user fail alike with SASL_AUTHENTICATION_FAILED; the connection then closes and serves nothing', async () => {
  for (const [user, password] of [['alice', 'wrong'], ['mallory', 'alice-secret']]) {
    const { client, final } = await scramLogin('SCRAM-SHA-256', user, password);
    assert.equal(final.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.equal(final.errorMessage, 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256');
    client.sendRaw(client.frame(ApiKey.Metadata, 12, createMetadataRequest({ topics: null })));
    assert.ok(await closedWithoutAnswer(client), `${user}: nothing is served after a failed login`);
  }
});

test('an unsupported mechanism is answered with the enabled ones, then the connection closes', async () => {
  const client = await WireClient.connect(saslPort);
  const response = await handshake(client, 'GSSAPI');
  assert.equal(response.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
  assert.deepEqual(response.mechanisms, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
  assert.ok(await closedWithoutAnswer(client));
});

test('SaslAuthenticate without a handshake is ILLEGAL_SASL_STATE and closes; a handshake on a PLAINTEXT listener is ILLEGAL_SASL_STATE', async () => {
  const early = await WireClient.connect(saslPort);
  assert.equal((await authenticate(early, plainToken('alice', 'alice-secret'))).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  assert.ok(await closedWithoutAnswer(early));
  const plain = await WireClient.connect(plainPort);
  assert.equal((await handshake(plain, 'PLAIN')).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  assert.equal((await metadata(plain)).brokers[0].port, plainPort, 'a PLAINTEXT client is told of the PLAINTEXT listener');
  plain.close();
});

test('hostile input before authentication: malformed SCRAM, a frame over sasl.server.max.receive.size, garbage tokens; the broker serves on', async () => {
  const malformed = await WireClient.connect(saslPort);
  await handshake(malformed, 'SCRAM-SHA-512');
  const refused = await authenticate(malformed, Buffer.from('x'.repeat(10_000)));
  assert.equal(refused.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.ok(await closedWithoutAnswer(malformed));

  const huge = await WireClient.connect(saslPort);
  const size = Buffer.alloc(4);
  size.writeInt32BE(1024 * 1024);
  huge.sendRaw(size);
  assert.ok(await closedWithoutAnswer(huge), 'a 1 MiB frame is refused before authentication (limit 512 KiB)');

  const reused = await WireClient.connect(saslPort);
  await handshake(reused, 'SCRAM-SHA-256');
  const scram = new ScramClient('SCRAM-SHA-256', 'alice', 'alice-secret');
  await authenticate(reused, scram.first());
  // The server-first message is replayed as if it were the client's final one.
  assert.equal((await authenticate(reused, Buffer.from('c=biws,r=replayed,p=AAAA'))).errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.ok(await closedWithoutAnswer(reused));

  const { client, final } = await scramLogin('SCRAM-SHA-512', 'alice', 'alice-secret');
  assert.equal(final.errorCode, ErrorCode.NONE, 'the broker still authenticates a good client');
  client.close();
});

test('SaslHandshake v0 (kafka-python): PLAIN as a bare token is answered with an empty bare frame, then requests are served; a bad one closes unanswered', async () => {
  const client = await WireClient.connect(saslPort);
  assert.equal((await handshake(client, 'PLAIN', 0)).errorCode, ErrorCode.NONE);
  const token = plainToken('alice', 'alice-secret');
  const frame = Buffer.alloc(4 + token.length);
  frame.writeInt32BE(token.length);
  token.copy(frame, 4);
  const answer = client.nextFrame();
  client.sendRaw(frame);
  assert.deepEqual(await answer, Buffer.alloc(0));
  assert.equal((await metadata(client)).brokers[0].port, saslPort);
  client.close();

  const bad = await WireClient.connect(saslPort);
  await handshake(bad, 'PLAIN', 0);
  const wrong = plainToken('alice', 'nope');
  const wrongFrame = Buffer.concat([Buffer.from([0, 0, 0, wrong.length]), wrong]);
  bad.sendRaw(wrongFrame);
  assert.ok(await closedWithoutAnswer(bad));
});

test('credentials survive a restart, and --add-scram does not reset a user that exists', async () => {
  await broker.stop();
  await start(['SCRAM-SHA-256=[name=alice,password=another]', 'SCRAM-SHA-256=[name=bob,password=bob-secret]']);
  const alice = await scramLogin('SCRAM-SHA-256', 'alice', 'alice-secret');
  assert.equal(alice.final.errorCode, ErrorCode.NONE, 'alice keeps the password she had');
  alice.client.close();
  const bob = await scramLogin('SCRAM-SHA-256', 'bob', 'bob-secret');
  assert.equal(bob.final.errorCode, ErrorCode.NONE, 'bob is new');
  bob.client.close();
});

/** A bare token as SaslHandshake v0 clients send it: size-prefixed, without a request header. */
const bareToken = (token: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, token.length]), token]);

test('PLAIN fails alike for a wrong password and an unknown user, with Kafka\'s message; a right password is checked against the SCRAM credential', async () => {
  for (const [user, password] of [['alice', 'wrong'], ['mallory', 'alice-secret']]) {
    const client = await WireClient.connect(saslPort);
    assert.equal((await handshake(client, 'PLAIN')).errorCode, ErrorCode.NONE);
    const answer = await authenticate(client, plainToken(user, password));
    assert.equal(answer.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED, user);
    assert.equal(answer.errorMessage, 'Authentication failed: Invalid username or password', user);
    assert.ok(await closedWithoutAnswer(client), user);
  }
  const client = await WireClient.connect(saslPort);
  await handshake(client, 'PLAIN');
  assert.equal((await authenticate(client, plainToken('alice', 'alice-secret'))).errorCode, ErrorCode.NONE);
  client.close();
});

test('a request sent right behind a SASL token waits for the token\'s (asynchronous) check, after a bare token and after SaslAuthenticate alike', async () => {
  const token = plainToken('alice', 'alice-secret');
  const v0 = await WireClient.connect(saslPort);
  await handshake(v0, 'PLAIN', 0);
  const v0Answers = [v0.nextFrame(), v0.nextFrame()];
  v0.sendRaw(Buffer.concat([bareToken(token), v0.frame(ApiKey.Metadata, 12, createMetadataRequest({ topics: null }), 99)]));
  assert.deepEqual(await v0Answers[0], Buffer.alloc(0));
  assert.equal(decodeResponseFrame((await v0Answers[1])!, ApiKey.Metadata, 12).correlationId, 99);
  v0.close();

  const v1 = await WireClient.connect(saslPort);
  await handshake(v1, 'PLAIN');
  const v1Answers = [v1.nextFrame(), v1.nextFrame()];
  v1.sendRaw(Buffer.concat([v1.frame(ApiKey.SaslAuthenticate, 2, createSaslAuthenticateRequest({ authBytes: token }), 7), v1.frame(ApiKey.Metadata, 12, createMetadataRequest({ topics: null }), 8)]));
  assert.equal((decodeResponseFrame((await v1Answers[0])!, ApiKey.SaslAuthenticate, 2).body as SaslAuthenticateResponse).errorCode, ErrorCode.NONE);
  assert.equal(decodeResponseFrame((await v1Answers[1])!, ApiKey.Metadata, 12).correlationId, 8);
  v1.close();
});

test('a second SaslHandshake in the middle of an exchange is ILLEGAL_SASL_STATE, and the connection closes as Kafka closes it', async () => {
  const client = await WireClient.connect(saslPort);
  await handshake(client, 'SCRAM-SHA-256');
  assert.equal((await authenticate(client, new ScramClient('SCRAM-SHA-256', 'alice', 'alice-secret').first())).errorCode, ErrorCode.NONE);
  assert.equal((await handshake(client, 'SCRAM-SHA-256')).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  assert.ok(await closedWithoutAnswer(client));
});

test('a failed login\'s answer (or a bare token\'s close) is held back for connection.failed.authentication.delay.ms; refusals of a wrong step are immediate', async () => {
  const delayMs = 400;
  const slowDir = mkdtempSync(join(tmpdir(), 'millrace-sasl-delay-'));
  const slow = await Broker.start({ dataDir: slowDir, host: '127.0.0.1', port: 0, config: buildBrokerConfig({ ...settings, 'connection.failed.authentication.delay.ms': String(delayMs) }), log: silentLogger });
  const port = slow.boundListeners.find((l) => l.name === 'SASL_PLAINTEXT')!.port;
  const timed = async <T>(action: () => Promise<T>): Promise<[T, number]> => {
    const start = performance.now();
    const result = await action();
    return [result, performance.now() - start];
  };
  try {
    const failed = await WireClient.connect(port);
    await handshake(failed, 'PLAIN');
    const [answer, answerMs] = await timed(() => authenticate(failed, plainToken('alice', 'wrong')));
    assert.equal(answer.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.ok(answerMs >= delayMs - 20, `answered after ${answerMs} ms`);
    assert.ok(await closedWithoutAnswer(failed));

    const bare = await WireClient.connect(port);
    await handshake(bare, 'PLAIN', 0);
    const [closed, closeMs] = await timed(() => {
      const next = bare.nextFrame();
      bare.sendRaw(bareToken(plainToken('alice', 'wrong')));
      return next;
    });
    assert.equal(closed, null);
    assert.ok(closeMs >= delayMs - 20, `closed after ${closeMs} ms`);

    const unsupported = await WireClient.connect(port);
    const [refused, refusedMs] = await timed(() => handshake(unsupported, 'GSSAPI'));
    assert.equal(refused.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    const early = await WireClient.connect(port);
    const [illegal, illegalMs] = await timed(() => authenticate(early, plainToken('alice', 'wrong')));
    assert.equal(illegal.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
    assert.ok(refusedMs < delayMs / 2 && illegalMs < delayMs / 2, `${refusedMs} ms, ${illegalMs} ms`);
  } finally {
    await slow.stop();
    rmSync(slowDir, { recursive: true, force: true });
  }
});
