import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { test } from 'node:test';
import { JsonWebKeySet, JwtError, oauthBearerClientFirst, parseOAuthBearerClientFirst, verifyJwt, verifyUnsecuredJwt } from './oauthbearer.ts';
import { SaslAuthenticationError } from './scram.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwks = new JsonWebKeySet({ keys: [{ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', use: 'sig' }, { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1' }] });
const NOW = 1_800_000_000_000;
const checks = { now: NOW, clockSkewSeconds: 30, audiences: [], issuer: null, subClaim: 'sub' };
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function jwt(claims: object, header: object, key: KeyObject, alg = 'RS256'): string {
  const signed = `${b64({ alg, typ: 'JWT', ...header })}.${b64(claims)}`;
  const signature = alg.startsWith('ES') ? sign('sha256', Buffer.from(signed), { key, dsaEncoding: 'ieee-p1363' }) : sign('sha256', Buffer.from(signed), key);
  return `${signed}.${signature.toString('base64url')}`;
}

const valid = { sub: 'alice', exp: NOW / 1000 + 600, iat: NOW / 1000, aud: ['kafka'], iss: 'https://idp.example.com' };

test('the client-first message Kafka clients send is read: authorization id, bearer token, extensions', () => {
  assert.deepEqual(parseOAuthBearerClientFirst(oauthBearerClientFirst('abc.def.ghi')), { authzid: '', token: 'abc.def.ghi' });
  assert.deepEqual(parseOAuthBearerClientFirst(Buffer.from('n,a=alice,\x01auth=Bearer x.y.z\x01traceId=42\x01\x01')), { authzid: 'alice', token: 'x.y.z' });
  for (const bad of ['', 'n,,auth=Bearer x', 'n,,\x01auth=Bearer x\x01', 'n,,\x01auth=Basic x\x01\x01', 'n,,\x01auth=Bearer a b\x01\x01', 'y,,\x01auth=Bearer x\x01\x01', 'n,,\x01\x01']) {
    assert.throws(() => parseOAuthBearerClientFirst(Buffer.from(bad)), SaslAuthenticationError, JSON.stringify(bad));
  }
});

test('a JWT signed by a key of the JWKS is valid: RS256 and ES256, by kid; its principal and expiry are read', () => {
  assert.deepEqual(verifyJwt(jwt(valid, { kid: 'rsa-1' }, rsa.privateKey), jwks, checks), { principal: 'alice', expiresAtMs: NOW + 600_000 });
  assert.equal(verifyJwt(jwt(valid, { kid: 'ec-1' }, ec.privateKey, 'ES256'), jwks, checks).principal, 'alice');
  assert.equal(verifyJwt(jwt({ ...valid, client_id: 'svc' }, { kid: 'rsa-1' }, rsa.privateKey), jwks, { ...checks, subClaim: 'client_id' }).principal, 'svc');
  assert.equal(verifyJwt(jwt(valid, { kid: 'rsa-1' }, rsa.privateKey), jwks, { ...checks, audiences: ['other', 'kafka'], issuer: 'https://idp.example.com' }).principal, 'alice');
});

test('expired, early, foreign, tampered and unsigned tokens are refused, each with its reason', () => {
  const refusals: [string, RegExp, object?][] = [
    [jwt({ ...valid, exp: NOW / 1000 - 60 }, { kid: 'rsa-1' }, rsa.privateKey), /expired/],
    [jwt({ ...valid, nbf: NOW / 1000 + 600 }, { kid: 'rsa-1' }, rsa.privateKey), /not valid before/],
    [jwt({ ...valid, exp: undefined }, { kid: 'rsa-1' }, rsa.privateKey), /no exp claim/],
    [jwt(valid, { kid: 'rsa-1' }, stranger.privateKey), /signature does not match/],
    [jwt(valid, { kid: 'unknown' }, rsa.privateKey), /no key in the JWKS has the JWT's kid "unknown"/],
    [jwt(valid, {}, rsa.privateKey), /names no kid, and the JWKS has more than one key/],
    [jwt({ ...valid, sub: undefined }, { kid: 'rsa-1' }, rsa.privateKey), /no sub claim/],
    [jwt(valid, { kid: 'rsa-1' }, rsa.privateKey), /audience .* is not one of billing/, { audiences: ['billing'] }],
    [jwt(valid, { kid: 'rsa-1' }, rsa.privateKey), /issuer .* is not https:\/\/other/, { issuer: 'https://other' }],
    [`${b64({ alg: 'none' })}.${b64(valid)}.`, /algorithm "none" is not accepted/],
    [`${b64({ alg: 'HS256', kid: 'rsa-1' })}.${b64(valid)}.c2ln`, /algorithm "HS256" is not accepted/],
    ['not-a-jwt', /3 parts/],
    ['a.b.c', /not base64url-encoded JSON/],
  ];
  for (const [token, reason, extra] of refusals) assert.throws(() => verifyJwt(token, jwks, { ...checks, ...extra }), (err: Error) => err instanceof JwtError && reason.test(err.message), String(reason));
  const tampered = jwt(valid, { kid: 'rsa-1' }, rsa.privateKey).split('.');
  tampered[1] = b64({ ...valid, sub: 'admin' });
  assert.throws(() => verifyJwt(tampered.join('.'), jwks, checks), /signature does not match/);
});

test('the unsecured handler takes an unsigned token, and still checks its expiry', () => {
  assert.equal(verifyUnsecuredJwt(`${b64({ alg: 'none' })}.${b64(valid)}.`, checks).principal, 'alice');
  assert.throws(() => verifyUnsecuredJwt(`${b64({ alg: 'none' })}.${b64({ ...valid, exp: NOW / 1000 - 60 })}.`, checks), /expired/);
  assert.throws(() => verifyUnsecuredJwt(jwt(valid, { kid: 'rsa-1' }, rsa.privateKey), checks), /empty signature/);
});
