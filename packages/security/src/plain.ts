import { SaslAuthenticationError } from './scram.ts';

/** A PLAIN (RFC 4616) message: authorization id, user and password, separated by NUL bytes. */
export function parsePlain(token: Buffer): { username: string; password: string } {
  const parts = token.toString('utf8').split('\0');
  if (parts.length !== 3) throw new SaslAuthenticationError('Invalid SASL/PLAIN response: expected 3 tokens');
  const [authzid, username, password] = parts;
  if (username === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
  if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified');
  if (authzid !== '' && authzid !== username) throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
  return { username, password };
}

export function plainToken(username: string, password: string): Buffer {
  return Buffer.from(`\0${username}\0${password}`);
}
