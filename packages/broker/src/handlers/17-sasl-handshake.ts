import { ApiKey, createSaslHandshakeResponse, ErrorCode, type SaslHandshakeRequest, type SaslHandshakeResponse } from '@millrace/protocol';
import { quoteClientText } from '@millrace/security';
import type { Handler } from '../handler.ts';
import { createSaslExchange } from '../security/sasl-exchange.ts';

/**
 * Picks the SASL mechanism. v1 tokens then come in SaslAuthenticate requests; after v0 (kafka-python,
 * old clients) they come as bare size-prefixed frames, which the connection hands to the session.
 */
export const saslHandshakeHandler: Handler<SaslHandshakeRequest, SaslHandshakeResponse> = {
  apiKey: ApiKey.SaslHandshake,
  versions: { min: 0, max: 1 },
  handle(ctx, request) {
    const { session, broker } = ctx;
    const mechanisms = broker.security.mechanisms.get(session.listener.name);
    // KIP-368: a client told its login expires logs in again on the same connection, with v1 and the same mechanism.
    const reauthenticating = session.authenticated && session.expiresAtMs !== null && ctx.apiVersion >= 1 && !session.sasl;
    if (reauthenticating && request.mechanism !== session.loggedInWith) {
      session.closeReason = `re-authentication with ${quoteClientText(request.mechanism)}, not the ${session.loggedInWith} the client logged in with`;
      return createSaslHandshakeResponse({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: mechanisms ?? [] });
    }
    if (!mechanisms || (session.authenticated && !reauthenticating) || session.sasl) {
      // Kafka's answer on a listener without SASL, after authentication, and to a second handshake;
      // one in the middle of an exchange also ends the connection.
      if (session.sasl) session.closeReason = 'a second SaslHandshake in the middle of a SASL exchange';
      return createSaslHandshakeResponse({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: mechanisms ?? [] });
    }
    if (!mechanisms.includes(request.mechanism)) {
      session.closeReason = `SASL mechanism ${quoteClientText(request.mechanism)} is not enabled on listener ${session.listener.name}`;
      return createSaslHandshakeResponse({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms });
    }
    const exchange = createSaslExchange(request.mechanism, broker.security.plainUsers.get(session.listener.name) ?? null, broker.security.scram, broker.security.oauth.get(session.listener.name));
    session.sasl = { mechanism: request.mechanism, exchange, rawTokens: ctx.apiVersion === 0 };
    return createSaslHandshakeResponse({ errorCode: ErrorCode.NONE, mechanisms });
  },
};
