import { ApiKey, createSaslAuthenticateResponse, ErrorCode, type SaslAuthenticateRequest, type SaslAuthenticateResponse } from '@millrace/protocol';
import { SaslAuthenticationError } from '@millrace/security';
import type { BrokerState, Handler } from '../handler.ts';
import { listenerSetting } from '../security/listener-settings.ts';
import type { Session } from '../security/session.ts';

/**
 * How long a login lasts (KIP-368): connections.max.reauth.ms, or less if the token logged in with
 * expires sooner; 0, for ever, when re-authentication is off (Kafka's default). The client must
 * log in again on the same connection before then, or the connection closes.
 */
function startSession(broker: BrokerState, session: Session, tokenExpiresAtMs: number | null): number {
  const maxMs = Number(listenerSetting(broker.config, session.listener.name, 'connections.max.reauth.ms'));
  if (!(maxMs > 0)) {
    session.expiresAtMs = null;
    return 0;
  }
  const now = Date.now();
  const lifetimeMs = Math.max(1, Math.min(maxMs, tokenExpiresAtMs === null ? maxMs : tokenExpiresAtMs - now));
  session.expiresAtMs = now + lifetimeMs;
  return lifetimeMs;
}

/** One SASL token of the exchange SaslHandshake v1 began (or a re-authentication); a failure is answered, then the connection closes. */
export const saslAuthenticateHandler: Handler<SaslAuthenticateRequest, SaslAuthenticateResponse> = {
  apiKey: ApiKey.SaslAuthenticate,
  versions: { min: 0, max: 2 },
  async handle(ctx, request) {
    const { session } = ctx;
    if (!session.sasl || session.sasl.rawTokens) {
      const errorMessage = session.authenticated ? 'Unexpected SaslAuthenticate request: this connection is already authenticated (a re-authentication begins with SaslHandshake)' : 'Unexpected SaslAuthenticate request: no SaslHandshake v1 chose a mechanism';
      if (!session.authenticated) session.closeReason = errorMessage;
      return createSaslAuthenticateResponse({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage });
    }
    try {
      const { response, complete, tokenExpiresAtMs } = await session.evaluate(request.authBytes);
      const sessionLifetimeMs = complete ? startSession(ctx.broker, session, tokenExpiresAtMs) : 0;
      return createSaslAuthenticateResponse({ errorCode: ErrorCode.NONE, authBytes: response, sessionLifetimeMs: BigInt(sessionLifetimeMs) });
    } catch (err) {
      if (!(err instanceof SaslAuthenticationError)) throw err;
      // Held back before it is sent (KIP-306), which slows down anyone guessing passwords.
      await new Promise((resolve) => setTimeout(resolve, Number(ctx.broker.config.values['connection.failed.authentication.delay.ms'])));
      session.closeReason = `SASL authentication with ${session.sasl?.mechanism} failed: ${err.detail ?? err.message}`;
      return createSaslAuthenticateResponse({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: err.message });
    }
  },
};
