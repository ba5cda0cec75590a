import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

/** SCRAM (RFC 5802) with the two hashes Kafka offers. */
export const SCRAM_MECHANISMS = {
  'SCRAM-SHA-256': { hash: 'sha256', keyLength: 32, type: 1 },
  'SCRAM-SHA-512': { hash: 'sha512', keyLength: 64, type: 2 },
} as const;

export type ScramMechanism = keyof typeof SCRAM_MECHANISMS;

/** Kafka's bounds on a stored credential's iteration count (AlterUserScramCredentials refuses others). */
export const MIN_SCRAM_ITERATIONS = 4096;
export const MAX_SCRAM_ITERATIONS = 16384;

/** What the server keeps of a password: never the password, only what verifies a proof of it. */
export interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

export function isScramMechanism(name: string): name is ScramMechanism {
  return Object.hasOwn(SCRAM_MECHANISMS, name);
}

const hmac = (m: ScramMechanism, key: Buffer, text: string | Buffer) => createHmac(SCRAM_MECHANISMS[m].hash, key).update(text).digest();
const digest = (m: ScramMechanism, data: Buffer) => createHash(SCRAM_MECHANISMS[m].hash).update(data).digest();

const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((byte, i) => byte ^ b[i]));

export function saltedPassword(m: ScramMechanism, password: string | Buffer, salt: Buffer, iterations: number): Buffer {
  const spec = SCRAM_MECHANISMS[m];
  return pbkdf2Sync(password, salt, iterations, spec.keyLength, spec.hash);
}

/** The stored form of a salted password (AlterUserScramCredentials sends the salted password itself). */
export function credentialFromSaltedPassword(m: ScramMechanism, salted: Buffer, salt: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(m, salted, 'Client Key');
  return { salt, storedKey: digest(m, clientKey), serverKey: hmac(m, salted, 'Server Key'), iterations };
}

export function makeScramCredential(m: ScramMechanism, password: string, iterations = MIN_SCRAM_ITERATIONS, salt = randomBytes(32)): ScramCredential {
  return credentialFromSaltedPassword(m, saltedPassword(m, password, salt, iterations), salt, iterations);
}

export class SaslAuthenticationError extends Error {
  readonly code = 'MILLRACE_SASL_AUTHENTICATION';
  /** Why, for the broker's log, where the message (what the client is told) says less. */
  readonly detail: string | undefined;

  constructor(message: string, detail?: string) {
    super(message);
    this.detail = detail;
  }
}

/** Client text quoted in an error: short, and with its newlines and quotes escaped, since it goes to logs and back to the client. */
export const quoteClientText = (text: string) => JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}...` : text);

/** RFC 5802's saslname: "," and "=" are escaped as "=2C" and "=3D"; any other "=" is malformed. */
function decodeSaslName(text: string): string {
  if (/=(?!2C|3D)/.test(text)) throw new SaslAuthenticationError(`invalid SCRAM username ${quoteClientText(text)}`);
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export function encodeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** Splits "a=1,b=2" into attributes, refusing anything that is not a single-letter attribute. */
function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const match = /^([a-zA-Z])=(.*)$/s.exec(part);
    if (!match) throw new SaslAuthenticationError(`malformed SCRAM message: ${quoteClientText(message)}`);
    out.set(match[1], match[2]);
  }
  return out;
}

const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

export interface ScramClientFirst {
  username: string;
  clientNonce: string;
  /** The client-first message without its GS2 header, which the proof signs. */
  bare: string;
  gs2Header: string;
}

/** Parses "n,,n=user,r=nonce" (no channel binding; an authorization id only if it is the user). */
export function parseClientFirst(message: string): ScramClientFirst {
  const match = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(message);
  if (!match) throw new SaslAuthenticationError('SCRAM client-first message must start with a GS2 header without channel binding ("n,,")');
  const bare = match[3];
  const attrs = attributes(bare);
  const username = attrs.get('n');
  const clientNonce = attrs.get('r');
  if (username === undefined || username === '' || clientNonce === undefined) throw new SaslAuthenticationError('SCRAM client-first message needs a username (n=) and a nonce (r=)');
  if (!PRINTABLE_NONCE.test(clientNonce)) throw new SaslAuthenticationError('SCRAM client nonce has characters a nonce may not have');
  if (bare.indexOf('n=') !== 0) throw new SaslAuthenticationError('SCRAM client-first message must begin with n=');
  const name = decodeSaslName(username);
  const authzid = match[2]?.slice(2);
  if (authzid && decodeSaslName(authzid) !== name) throw new SaslAuthenticationError('SCRAM authorization id must be the username');
  return { username: name, clientNonce, bare, gs2Header: message.slice(0, message.length - bare.length) };
}

export type ScramLookup = (username: string) => ScramCredential | undefined;

/** Makes unknown users' salts: fixed for the life of the process, unknown outside it. */
const UNKNOWN_USER_SECRET = randomBytes(32);

/**
 * The server side of one SCRAM exchange: client-first in, server-first out; client-final in,
 * server-final out. An unknown user is carried through with a made-up credential so that it fails
 * exactly where and how a wrong password does (no telling which usernames exist).
 */
export class ScramServer {
  private first: ScramClientFirst | null = null;
  private serverFirst = '';
  private nonce = '';
  private credential: ScramCredential | undefined;
  private done = false;
  readonly mechanism: ScramMechanism;
  private readonly lookup: ScramLookup;
  /** The authenticated username, once the proof checked. */
  username: string | null = null;

  private readonly serverNonce: () => string;

  constructor(mechanism: ScramMechanism, lookup: ScramLookup, serverNonce = () => randomBytes(24).toString('base64url')) {
    this.mechanism = mechanism;
    this.lookup = lookup;
    this.serverNonce = serverNonce;
  }

  /** Answers one client message; returns the server's message and whether the exchange is complete. */
  evaluate(token: Buffer): { response: Buffer; complete: boolean } {
    const message = token.toString('utf8');
    if (this.done) throw new SaslAuthenticationError('SCRAM exchange is already complete');
    if (this.first === null) return { response: Buffer.from(this.onClientFirst(message)), complete: false };
    this.done = true;
    return { response: Buffer.from(this.onClientFinal(message)), complete: true };
  }

  private onClientFirst(message: string): string {
    const first = parseClientFirst(message);
    this.first = first;
    this.credential = this.lookup(first.username);
    const iterations = this.credential?.iterations ?? MIN_SCRAM_ITERATIONS;
    // An unknown user gets the same made-up salt every time, as a real user gets its own.
    const salt = this.credential?.salt ?? createHmac('sha256', UNKNOWN_USER_SECRET).update(first.username).digest();
    this.nonce = first.clientNonce + this.serverNonce();
    this.serverFirst = `r=${this.nonce},s=${salt.toString('base64')},i=${iterations}`;
    return this.serverFirst;
  }

  private onClientFinal(message: string): string {
    const first = this.first!;
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) throw new SaslAuthenticationError('SCRAM client-final message has no proof (p=)');
    const withoutProof = message.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    if (attrs.get('c') !== Buffer.from(first.gs2Header).toString('base64')) throw new SaslAuthenticationError('SCRAM channel binding does not match the client-first message');
    // Kafka checks that the nonce ends with the server's, not that it equals it, and librdkafka 2.0
    // relies on that: it sends its own nonce again in front of the combined one.
    if (!attrs.get('r')?.endsWith(this.nonce)) throw new SaslAuthenticationError('SCRAM nonce does not match the server\'s');
    const proof = Buffer.from(message.slice(proofAt + 3), 'base64');
    const authMessage = `${first.bare},${this.serverFirst},${withoutProof}`;
    const credential = this.credential;
    if (!credential || proof.length !== credential.storedKey.length) throw invalidCredentials(this.mechanism);
    const clientKey = xor(proof, hmac(this.mechanism, credential.storedKey, authMessage));
    if (!timingSafeEqual(digest(this.mechanism, clientKey), credential.storedKey)) throw invalidCredentials(this.mechanism);
    this.username = first.username;
    return `v=${hmac(this.mechanism, credential.serverKey, authMessage).toString('base64')}`;
  }
}

/** Kafka's words for a failed proof, the same for an unknown user. */
export function invalidCredentials(mechanism: string): SaslAuthenticationError {
  return new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`);
}

/** The client side, for our own client: first message, then the final one from the server's first. */
export class ScramClient {
  private readonly mechanism: ScramMechanism;
  private readonly username: string;
  private readonly password: string;
  private readonly clientNonce = randomBytes(24).toString('base64url');
  private expectedServerSignature: Buffer | null = null;

  constructor(mechanism: ScramMechanism, username: string, password: string) {
    this.mechanism = mechanism;
    this.username = username;
    this.password = password;
  }

  private get bare(): string {
    return `n=${encodeSaslName(this.username)},r=${this.clientNonce}`;
  }

  first(): Buffer {
    return Buffer.from(`n,,${this.bare}`);
  }

  final(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString('utf8');
    const attrs = attributes(text);
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    // Kafka's bounds: fewer iterations would make a captured proof cheap to crack, more would stall this client.
    if (!nonce?.startsWith(this.clientNonce) || salt === undefined || !Number.isInteger(iterations) || iterations < MIN_SCRAM_ITERATIONS || iterations > MAX_SCRAM_ITERATIONS) {
      throw new SaslAuthenticationError(`unexpected SCRAM server-first message ${quoteClientText(text)}`);
    }
    const salted = saltedPassword(this.mechanism, this.password, Buffer.from(salt, 'base64'), iterations);
    const clientKey = hmac(this.mechanism, salted, 'Client Key');
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.bare},${text},${withoutProof}`;
    const proof = xor(clientKey, hmac(this.mechanism, digest(this.mechanism, clientKey), authMessage));
    this.expectedServerSignature = hmac(this.mechanism, hmac(this.mechanism, salted, 'Server Key'), authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** Checks the server's signature: proof that the server, too, knew the credential. */
  verifyServerFinal(serverFinal: Buffer): void {
    const attrs = attributes(serverFinal.toString('utf8'));
    const error = attrs.get('e');
    if (error !== undefined) throw new SaslAuthenticationError(`SCRAM authentication failed: ${error}`);
    const v = Buffer.from(attrs.get('v') ?? '', 'base64');
    if (!this.expectedServerSignature || v.length !== this.expectedServerSignature.length || !timingSafeEqual(v, this.expectedServerSignature)) {
      throw new SaslAuthenticationError('the server\'s SCRAM signature is wrong: it does not know this credential');
    }
  }
}

const pbkdf2Async = promisify(pbkdf2);

/**
 * Whether `password` is the one a stored credential was made from (how PLAIN logins check SCRAM
 * users). The PBKDF2 runs in libuv's thread pool: milliseconds a client could otherwise make the
 * event loop spend, before it has authenticated, with every login it tries.
 */
export async function passwordMatches(m: ScramMechanism, credential: ScramCredential, password: string): Promise<boolean> {
  const spec = SCRAM_MECHANISMS[m];
  const salted = await pbkdf2Async(password, credential.salt, credential.iterations, spec.keyLength, spec.hash);
  return timingSafeEqual(credentialFromSaltedPassword(m, salted, credential.salt, credential.iterations).storedKey, credential.storedKey);
}
