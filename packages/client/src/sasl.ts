import {
  ApiKey, createSaslAuthenticateRequest, createSaslHandshakeRequest, ErrorCode, type SaslAuthenticateResponse, type SaslHandshakeResponse,
} from '@millrace/protocol';
import { isScramMechanism, plainToken, ScramClient } from '@millrace/security';
import { type BrokerVersions, pickVersion } from './api-versions.ts';
import type { Connection } from './connection.ts';
import { ClientError, KafkaError } from './errors.ts';

/** A SASL login: the mechanism and the user's name and password. */
export interface SaslSettings {
  mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
  username: string;
  password: string;
}

export const SASL_MECHANISMS: readonly SaslSettings['mechanism'][] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

/**
 * Authenticates a new connection as Kafka clients do after ApiVersions: SaslHandshake v1 picks the
 * mechanism, SaslAuthenticate carries its tokens. A refusal is a KafkaError with the broker's words.
 */
export async function authenticate(connection: Connection, versions: BrokerVersions, sasl: SaslSettings, timeoutMs: number): Promise<void> {
  if (!SASL_MECHANISMS.includes(sasl.mechanism)) throw new ClientError('MILLRACE_INVALID_ARGUMENT', `SASL mechanism ${sasl.mechanism} is not one of ${SASL_MECHANISMS.join(', ')}`);
  const handshake = await connection.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, createSaslHandshakeRequest({ mechanism: sasl.mechanism }), timeoutMs);
  if (handshake.errorCode !== ErrorCode.NONE) {
    throw new KafkaError(handshake.errorCode, { api: 'SaslHandshake', message: `SASL handshake for ${sasl.mechanism} refused${handshake.mechanisms.length > 0 ? `; the broker offers ${handshake.mechanisms.join(', ')}` : ''}` });
  }
  const version = pickVersion(versions, ApiKey.SaslAuthenticate, 0, 2);
  const send = async (authBytes: Buffer) => {
    const response = await connection.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, version, createSaslAuthenticateRequest({ authBytes }), timeoutMs);
    if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, { api: 'SaslAuthenticate', message: response.errorMessage ?? `SASL ${sasl.mechanism} authentication failed` });
    return response.authBytes;
  };
  if (!isScramMechanism(sasl.mechanism)) {
    await send(plainToken(sasl.username, sasl.password));
    return;
  }
  const scram = new ScramClient(sasl.mechanism, sasl.username, sasl.password);
  const serverFirst = await send(scram.first());
  scram.verifyServerFinal(await send(scram.final(serverFirst)));
}
