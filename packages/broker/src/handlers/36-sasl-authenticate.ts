import { ApiKey, createSaslAuthenticateResponse, ErrorCode, type SaslAuthenticateRequest, type SaslAuthenticateResponse } from '@millrace/protocol';
import { SaslAuthenticationError } from '@millrace/security';
import type { Handler } from '../handler.ts';

/** One SASL token of the exchange SaslHandshake v1 began; a failure is answered, then the connection closes. */
export const saslAuthenticateHandler: Handler<SaslAuthenticateRequest, SaslAuthenticateResponse> = {
  apiKey: ApiKey.SaslAuthenticate,
  versions: { min: 0, max: 2 },
  async handle(ctx, request) {
    const { session } = ctx;
    if (!session.sasl || session.sasl.rawTokens) {
      const errorMessage = session.authenticated ? 'Unexpected SaslAuthenticate request: this connection is already authenticated' : 'Unexpected SaslAuthenticate request: no SaslHandshake v1 chose a mechanism';
      if (!session.authenticated) session.closeReason = errorMessage;
      return createSaslAuthenticateResponse({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage });
    }
    try {
      const { response } = await session.evaluate(request.authBytes);
      // 0: the session does not expire, so no re-authentication is asked for.
      return createSaslAuthenticateResponse({ errorCode: ErrorCode.NONE, authBytes: response, sessionLifetimeMs: 0n });
    } catch (err) {
      if (!(err instanceof SaslAuthenticationError)) throw err;
      // Held back before it is sent (KIP-306), which slows down anyone guessing passwords.
      await new Promise((resolve) => setTimeout(resolve, Number(ctx.broker.config.values['connection.failed.authentication.delay.ms'])));
      session.closeReason = `SASL authentication with ${session.sasl?.mechanism} failed: ${err.message}`;
      return createSaslAuthenticateResponse({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: err.message });
    }
  },
};
