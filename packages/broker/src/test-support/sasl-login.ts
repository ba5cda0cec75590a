// A wire client logged in with SCRAM, for tests of a SASL listener.
import {
  ApiKey, createSaslAuthenticateRequest, createSaslHandshakeRequest, ErrorCode, errorName, type SaslAuthenticateResponse, type SaslHandshakeResponse,
} from '@millrace/protocol';
import { ScramClient, type ScramMechanism } from '@millrace/security';
import { WireClient } from './wire-client.ts';

export async function scramLoggedIn(port: number, mechanism: ScramMechanism, user: string, password: string): Promise<WireClient> {
  const client = await WireClient.connect(port);
  const scram = new ScramClient(mechanism, user, password);
  const handshake = await client.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, createSaslHandshakeRequest({ mechanism }));
  if (handshake.errorCode !== ErrorCode.NONE) throw new Error(`SaslHandshake: ${errorName(handshake.errorCode)}`);
  const send = async (authBytes: Buffer) => {
    const r = await client.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 2, createSaslAuthenticateRequest({ authBytes }));
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`SaslAuthenticate as ${user}: ${errorName(r.errorCode)} ${r.errorMessage}`);
    return r.authBytes;
  };
  scram.verifyServerFinal(await send(scram.final(await send(scram.first()))));
  return client;
}
