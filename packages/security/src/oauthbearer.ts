import { createPublicKey, type JsonWebKey, type KeyObject, verify as verifySignature } from 'node:crypto';
import { quoteClientText, SaslAuthenticationError } from './scram.ts';

/**
 * SASL/OAUTHBEARER (RFC 7628) as Kafka speaks it, and the checks of the JWT it carries, without I/O.
 */

/** The client's first message: `n,a=<authzid>,` then `\x01auth=Bearer <token>\x01`, extensions, `\x01`. */
export function parseOAuthBearerClientFirst(message: Buffer): { authzid: string; token: string } {
  const text = message.toString('utf8');
  // The authorization id is a saslname: no commas (escaped as =2C), and "=" only as =2C or =3D.
  const header = /^n,(?:a=((?:[^,=]|=2C|=3D)*))?,/.exec(text);
  if (!header) throw new SaslAuthenticationError('Invalid OAUTHBEARER client first message');
  const parts = text.slice(header[0].length).split('\x01');
  // kvsep key=value ... kvsep kvsep: a leading empty part and two trailing ones.
  if (parts.length < 4 || parts[0] !== '' || parts.at(-1) !== '' || parts.at(-2) !== '') throw new SaslAuthenticationError('Invalid OAUTHBEARER client first message');
  const auth = parts.slice(1, -2).find((p) => p.startsWith('auth='));
  const match = auth ? /^auth=(\w+) +([-_.a-zA-Z0-9]+)$/.exec(auth) : null;
  if (!match) throw new SaslAuthenticationError('Invalid OAUTHBEARER client first message');
  if (match[1].toLowerCase() !== 'bearer') throw new SaslAuthenticationError(`Invalid scheme in OAUTHBEARER client first message: ${quoteClientText(match[1])}`);
  return { authzid: (header[1] ?? '').replace(/=2C/g, ',').replace(/=3D/g, '='), token: match[2] };
}

/** The client's first message for `token` (what our client sends). */
export function oauthBearerClientFirst(token: string): Buffer {
  return Buffer.from(`n,,\x01auth=Bearer ${token}\x01\x01`);
}

/** A JWT refused, with the reason (for the log; the client is told only that its token is invalid). */
export class JwtError extends Error {}

export interface JwtChecks {
  now: number;
  clockSkewSeconds: number;
  /** The token's `aud` must name one of these (when any are given). */
  audiences: string[];
  /** The token's `iss` must be this (when given). */
  issuer: string | null;
  /** The claim naming the principal (Kafka's sasl.oauthbearer.sub.claim.name). */
  subClaim: string;
}

export interface ValidToken {
  principal: string;
  /** When the token expires, in milliseconds since the epoch. */
  expiresAtMs: number;
}

const SIGNATURE_ALGORITHMS: Record<string, { hash: string; pss?: boolean; ecdsa?: boolean }> = {
  RS256: { hash: 'sha256' }, RS384: { hash: 'sha384' }, RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', pss: true }, PS384: { hash: 'sha384', pss: true }, PS512: { hash: 'sha512', pss: true },
  ES256: { hash: 'sha256', ecdsa: true }, ES384: { hash: 'sha384', ecdsa: true }, ES512: { hash: 'sha512', ecdsa: true },
};

/** The three parts of a compact JWS, decoded; throws JwtError for anything else. */
function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signed: Buffer; signature: Buffer } {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError(`a JWT has 3 parts separated by dots, this token has ${parts.length}`);
  const json = (part: string, what: string): Record<string, unknown> => {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    } catch {
      throw new JwtError(`the JWT's ${what} is not base64url-encoded JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwtError(`the JWT's ${what} is not a JSON object`);
    return value as Record<string, unknown>;
  };
  return { header: json(parts[0], 'header'), payload: json(parts[1], 'payload'), signed: Buffer.from(`${parts[0]}.${parts[1]}`), signature: Buffer.from(parts[2], 'base64url') };
}

/** A JSON Web Key Set's keys, by kid (a key without a kid under ""). */
export class JsonWebKeySet {
  private readonly keys = new Map<string, { key: KeyObject; alg: string | null }>();

  constructor(jwks: unknown) {
    const list = (jwks as { keys?: unknown })?.keys;
    if (!Array.isArray(list)) throw new JwtError('a JWKS is a JSON object with a "keys" array');
    for (const jwk of list as (JsonWebKey & { kid?: string; alg?: string; use?: string })[]) {
      if (jwk.use !== undefined && jwk.use !== 'sig') continue;
      if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') continue;
      try {
        this.keys.set(jwk.kid ?? '', { key: createPublicKey({ key: jwk, format: 'jwk' }), alg: jwk.alg ?? null });
      } catch (err) {
        throw new JwtError(`the JWKS key ${jwk.kid ?? '(without a kid)'} cannot be read: ${(err as Error).message}`);
      }
    }
  }

  get size(): number {
    return this.keys.size;
  }

  /** The key for a token's kid; a token without a kid may use the set's only key. */
  find(kid: string | undefined): { key: KeyObject; alg: string | null } | undefined {
    if (kid !== undefined) return this.keys.get(kid);
    return this.keys.size === 1 ? [...this.keys.values()][0] : undefined;
  }
}

/** Checks a signed JWT against the keys and the claims Kafka's OAuthBearerValidatorCallbackHandler checks. */
export function verifyJwt(token: string, keys: JsonWebKeySet, checks: JwtChecks): ValidToken {
  const { header, payload, signed, signature } = decodeJwt(token);
  const alg = String(header.alg);
  const spec = SIGNATURE_ALGORITHMS[alg];
  if (!spec) throw new JwtError(`the JWT's algorithm ${quoteClientText(alg)} is not accepted (RS256/384/512, PS256/384/512, ES256/384/512)`);
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const found = keys.find(kid);
  if (!found) throw new JwtError(kid === undefined ? 'the JWT names no kid, and the JWKS has more than one key' : `no key in the JWKS has the JWT's kid ${quoteClientText(kid)}`);
  if (found.alg !== null && found.alg !== alg) throw new JwtError(`the JWKS key ${kid ?? ''} is for ${found.alg}, the JWT says ${alg}`);
  const ok = verifySignature(spec.hash, signed, {
    key: found.key,
    ...(spec.pss ? { padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: -1 /* RSA_PSS_SALTLEN_DIGEST */ } : {}),
    ...(spec.ecdsa ? { dsaEncoding: 'ieee-p1363' as const } : {}),
  }, signature);
  if (!ok) throw new JwtError('the JWT\'s signature does not match its key');
  return checkClaims(payload, checks);
}

/**
 * An unsigned JWT (alg "none"), as Kafka's OAuthBearerUnsecuredValidatorCallbackHandler accepts it:
 * for development only, since anyone can write one for any principal.
 */
export function verifyUnsecuredJwt(token: string, checks: JwtChecks): ValidToken {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[2] !== '') throw new JwtError('an unsecured JWT has 3 parts and an empty signature');
  const { header, payload } = decodeJwt(`${parts[0]}.${parts[1]}.`);
  if (header.alg !== 'none') throw new JwtError(`an unsecured JWT has alg "none", not ${quoteClientText(String(header.alg))}`);
  return checkClaims(payload, checks);
}

function checkClaims(payload: Record<string, unknown>, checks: JwtChecks): ValidToken {
  const skewMs = checks.clockSkewSeconds * 1000;
  const seconds = (claim: string): number | undefined => {
    const value = payload[claim];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new JwtError(`the JWT's ${claim} claim is not a number`);
    return value;
  };
  const exp = seconds('exp');
  if (exp === undefined) throw new JwtError('the JWT has no exp claim');
  if (exp * 1000 + skewMs <= checks.now) throw new JwtError(`the JWT expired at ${new Date(exp * 1000).toISOString()}`);
  const nbf = seconds('nbf');
  if (nbf !== undefined && nbf * 1000 - skewMs > checks.now) throw new JwtError(`the JWT is not valid before ${new Date(nbf * 1000).toISOString()}`);
  const iat = seconds('iat');
  if (iat !== undefined && iat * 1000 - skewMs > checks.now) throw new JwtError(`the JWT was issued in the future, at ${new Date(iat * 1000).toISOString()}`);
  if (checks.audiences.length > 0) {
    const aud = payload.aud;
    const named = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!named.some((a) => checks.audiences.includes(a as string))) throw new JwtError(`the JWT's audience ${quoteClientText(JSON.stringify(aud ?? null))} is not one of ${checks.audiences.join(', ')}`);
  }
  if (checks.issuer !== null && payload.iss !== checks.issuer) throw new JwtError(`the JWT's issuer ${quoteClientText(String(payload.iss))} is not ${checks.issuer}`);
  const principal = payload[checks.subClaim];
  if (typeof principal !== 'string' || principal === '') throw new JwtError(`the JWT has no ${checks.subClaim} claim naming the principal`);
  return { principal, expiresAtMs: exp * 1000 };
}
