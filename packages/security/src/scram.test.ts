import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash, createHmac } from 'node:crypto';
import { makeScramCredential, passwordMatches, saltedPassword, SaslAuthenticationError, ScramClient, type ScramCredential, ScramServer } from './scram.ts';

// RFC 7677's SCRAM-SHA-256 example exchange: user "user", password "pencil".
const RFC_SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const RFC_SERVER_NONCE = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';

test('the server answers RFC 7677\'s example exchange with the RFC\'s server-first message and signature', () => {
  const credential = makeScramCredential('SCRAM-SHA-256', 'pencil', 4096, RFC_SALT);
  const server = new ScramServer('SCRAM-SHA-256', (u) => (u === 'user' ? credential : undefined), () => RFC_SERVER_NONCE);
  const first = server.evaluate(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
  assert.equal(first.response.toString(), 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
  assert.equal(first.complete, false);
  const final = server.evaluate(Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='));
  assert.equal(final.response.toString(), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  assert.equal(final.complete, true);
  assert.equal(server.username, 'user');
});

function exchange(mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', stored: Record<string, ScramCredential>, username: string, password: string) {
  const client = new ScramClient(mechanism, username, password);
  const server = new ScramServer(mechanism, (u) => stored[u]);
  const serverFirst = server.evaluate(client.first()).response;
  const serverFinal = server.evaluate(client.final(serverFirst)).response;
  client.verifyServerFinal(serverFinal);
  return server.username;
}

for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
  test(`${mechanism}: our client and server agree on a right password, and a wrong one or an unknown user fail the same way`, () => {
    const stored = { alice: makeScramCredential(mechanism, 'alice-secret'), 'a,b=c': makeScramCredential(mechanism, 'x') };
    assert.equal(exchange(mechanism, stored, 'alice', 'alice-secret'), 'alice');
    assert.equal(exchange(mechanism, stored, 'a,b=c', 'x'), 'a,b=c', 'a username with "," and "=" is escaped and unescaped');
    const expected = { name: 'Error', message: `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}` };
    assert.throws(() => exchange(mechanism, stored, 'alice', 'wrong'), expected);
    assert.throws(() => exchange(mechanism, stored, 'mallory', 'alice-secret'), expected);
  });
}

test('librdkafka 2.0\'s client-final message, which repeats the client nonce before the combined nonce, is accepted as Kafka accepts it', () => {
  const credential = makeScramCredential('SCRAM-SHA-256', 'pencil', 4096, RFC_SALT);
  const server = new ScramServer('SCRAM-SHA-256', () => credential, () => 'SERVER');
  server.evaluate(Buffer.from('n,,n=user,r=CLIENT'));
  const withoutProof = 'c=biws,r=CLIENTCLIENTSERVER';
  // The proof a client computes over the message as it sends it.
  const salted = saltedPassword('SCRAM-SHA-256', 'pencil', RFC_SALT, 4096);
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const authMessage = `n=user,r=CLIENT,r=CLIENTSERVER,s=${RFC_SALT.toString('base64')},i=4096,${withoutProof}`;
  const signature = createHmac('sha256', createHash('sha256').update(clientKey).digest()).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
  assert.equal(server.evaluate(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`)).complete, true);
  assert.equal(server.username, 'user');
});

test('a client that cannot prove the password cannot tell a server that does not know it from one that does, and vice versa: a forged server signature is refused', () => {
  const client = new ScramClient('SCRAM-SHA-256', 'alice', 'alice-secret');
  const server = new ScramServer('SCRAM-SHA-256', () => makeScramCredential('SCRAM-SHA-256', 'alice-secret'));
  client.final(server.evaluate(client.first()).response);
  assert.throws(() => client.verifyServerFinal(Buffer.from('v=' + Buffer.alloc(32).toString('base64'))), /signature is wrong/);
  assert.throws(() => client.verifyServerFinal(Buffer.from('e=invalid-proof')), /invalid-proof/);
});

test('malformed and hostile client messages are refused with an authentication error, never a crash', () => {
  const credential = makeScramCredential('SCRAM-SHA-256', 'pw');
  const refusals: [string, string[]][] = [
    ['no GS2 header', ['n=user,r=abc']],
    ['channel binding asked for', ['p=tls-unique,,n=user,r=abc']],
    ['no nonce', ['n,,n=user']],
    ['empty username', ['n,,n=,r=abc']],
    ['bad escape in username', ['n,,n=us=er,r=abc']],
    ['nonce with a comma-free but non-printable byte', ['n,,n=user,r=a\u0001b']],
    ['authorization id of another user', ['n,a=admin,n=user,r=abc']],
    ['garbage', ['\u0000\u0000\u0000']],
    ['final without proof', ['n,,n=user,r=abc', 'c=biws,r=abc']],
    ['final with another nonce', ['n,,n=user,r=abc', 'c=biws,r=zzz,p=AAAA']],
    ['final with another channel binding', ['n,,n=user,r=abc', 'c=eSws,r=abc,p=AAAA']],
    ['a third message', ['n,,n=user,r=abc', 'c=biws,r=abc,p=AAAA', 'more']],
  ];
  for (const [what, messages] of refusals) {
    const server = new ScramServer('SCRAM-SHA-256', () => credential, () => '');
    assert.throws(() => {
      for (const m of messages) server.evaluate(Buffer.from(m));
    }, SaslAuthenticationError, what);
    assert.equal(server.username, null, what);
  }
});

test('a PLAIN password is checked against a stored SCRAM credential without the password being stored', async () => {
  const credential = makeScramCredential('SCRAM-SHA-512', 'alice-secret');
  assert.equal(await passwordMatches('SCRAM-SHA-512', credential, 'alice-secret'), true);
  assert.equal(await passwordMatches('SCRAM-SHA-512', credential, 'alice-secreT'), false);
});

test('an unknown user is given the same salt each time, and the default iteration count, so repeated attempts do not tell it from a real one', () => {
  const serverFirst = (user: string) => new ScramServer('SCRAM-SHA-256', () => undefined, () => 'S').evaluate(Buffer.from(`n,,n=${user},r=C`)).response.toString();
  assert.equal(serverFirst('mallory'), serverFirst('mallory'));
  assert.notEqual(serverFirst('mallory'), serverFirst('trudy'));
  assert.match(serverFirst('mallory'), /^r=CS,s=[A-Za-z0-9+/]{43}=,i=4096$/);
});

test('our client refuses a server-first message with fewer than 4096 or more than 16384 iterations, as Kafka\'s does', () => {
  for (const iterations of [1, 4095, 16385]) {
    const client = new ScramClient('SCRAM-SHA-256', 'alice', 'alice-secret');
    const clientNonce = /r=(.*)$/.exec(client.first().toString())![1];
    assert.throws(() => client.final(Buffer.from(`r=${clientNonce}S,s=${RFC_SALT.toString('base64')},i=${iterations}`)), SaslAuthenticationError, String(iterations));
  }
});

test('client text echoed in an error is cut short and escaped: it goes to the log and back to the client', () => {
  const server = new ScramServer('SCRAM-SHA-256', () => undefined);
  assert.throws(() => server.evaluate(Buffer.from(`n,,n=a=b\n${'x'.repeat(500_000)},r=abc`)), (err: Error) => {
    assert.ok(err instanceof SaslAuthenticationError);
    assert.ok(err.message.length < 150, `${err.message.length} characters`);
    assert.ok(!err.message.includes('\n'));
    assert.match(err.message, /^invalid SCRAM username "a=b\\nxxx/);
    return true;
  });
});
