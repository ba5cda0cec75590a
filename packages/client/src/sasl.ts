import {
  ApiKey, createSaslAuthenticateRequest, createSaslHandshakeRequest, ErrorCode, type SaslAuthenticateResponse, type SaslHandshakeResponse,
} from '@millrace/protocol';
import { isScramMechanism, oauthBearerClientFirst, plainToken, ScramClient } from '@millrace/security';
import { type BrokerVersions, pickVersion } from './api-versions.ts';
import type { Connection } from './connection.ts';
import { ClientError, KafkaError } from './errors.ts';

/**
 * A SASL login: a mechanism with the user's name and password, or OAUTHBEARER with a function that
 * returns the current access token (called at each login, so it can hand out a refreshed one).
 */
export type SaslSettings =
  | { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string }
  | { mechanism: 'OAUTHBEARER'; token: () => string | Promise<string> };

/** The mechanisms that log in with a user name and a password (what client properties can configure). */
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/**
 * Authenticates a connection as Kafka clients do after ApiVersions: SaslHandshake v1 picks the
 * mechanism, SaslAuthenticate carries its tokens. A refusal is a KafkaError with the broker's words.
 * Resolves with the session lifetime the broker gives the login (KIP-368; 0 when it does not expire).
 */
export async function authenticate(connection: Connection, versions: BrokerVersions, sasl: SaslSettings, timeoutMs: number): Promise<number> {
  if (!(SASL_MECHANISMS as readonly string[]).includes(sasl.mechanism) && sasl.mechanism !== 'OAUTHBEARER') {
    throw new ClientError('MILLRACE_INVALID_ARGUMENT', `SASL mechanism ${sasl.mechanism} is not one of ${SASL_MECHANISMS.join(', ')}, OAUTHBEARER`);
  }
  const handshake = await connection.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, createSaslHandshakeRequest({ mechanism: sasl.mechanism }), timeoutMs);
  if (handshake.errorCode !== ErrorCode.NONE) {
    throw new KafkaError(handshake.errorCode, { api: 'SaslHandshake', message: `SASL handshake for ${sasl.mechanism} refused${handshake.mechanisms.length > 0 ? `; the broker offers ${handshake.mechanisms.join(', ')}` : ''}` });
  }
  const version = pickVersion(versions, ApiKey.SaslAuthenticate, 0, 2);
  let lifetimeMs = 0;
  const send = async (authBytes: Buffer) => {
    const response = await connection.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, version, createSaslAuthenticateRequest({ authBytes }), timeoutMs);
    if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, { api: 'SaslAuthenticate', message: response.errorMessage ?? `SASL ${sasl.mechanism} authentication failed` });
    lifetimeMs = Number(response.sessionLifetimeMs ?? 0n);
    return response.authBytes;
  };
  if (sasl.mechanism === 'OAUTHBEARER') {
    // A refused token is answered with RFC 7628's JSON error; %x01 acknowledges it, and the broker then fails the login.
    const answer = await send(oauthBearerClientFirst(await sasl.token()));
    if (answer.length > 0) await send(Buffer.from([1]));
  } else if (!isScramMechanism(sasl.mechanism)) {
    await send(plainToken(sasl.username, sasl.password));
  } else {
    const scram = new ScramClient(sasl.mechanism, sasl.username, sasl.password);
    const serverFirst = await send(scram.first());
    scram.verifyServerFinal(await send(scram.final(serverFirst)));
  }
  return lifetimeMs;
}
