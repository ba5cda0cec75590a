import { JwtError, parseOAuthBearerClientFirst, quoteClientText, SaslAuthenticationError } from '@millrace/security';
import type { OAuthValidator } from './oauth-validator.ts';
import type { SaslExchange } from './sasl-exchange.ts';

/** What Kafka answers a token it refuses with (RFC 7628's error), before the client's %x01 ends the exchange. */
const INVALID_TOKEN = '{"status":"invalid_token"}';

/**
 * One OAUTHBEARER login, as Kafka's OAuthBearerSaslServer runs it: a valid token completes it at
 * once; an invalid one is answered with RFC 7628's JSON error, the client acknowledges with %x01,
 * and the login then fails. Why the token was refused goes to the broker's log only.
 */
export class OAuthBearerExchange implements SaslExchange {
  username: string | null = null;
  /** When the token expires: a session does not outlive its token when re-authentication is on. */
  expiresAtMs: number | null = null;
  private refusal: string | null = null;
  private readonly validator: OAuthValidator;

  constructor(validator: OAuthValidator) {
    this.validator = validator;
  }

  async evaluate(message: Buffer): Promise<{ response: Buffer; complete: boolean }> {
    if (this.refusal !== null) {
      if (message.length === 1 && message[0] === 0x01) throw new SaslAuthenticationError(INVALID_TOKEN, this.refusal);
      throw new SaslAuthenticationError('Invalid OAUTHBEARER message: expected %x01 after the server\'s error', this.refusal);
    }
    if (this.username !== null) throw new SaslAuthenticationError('SASL/OAUTHBEARER exchange is already complete');
    const { authzid, token } = parseOAuthBearerClientFirst(message);
    let valid;
    try {
      valid = await this.validator.validate(token);
    } catch (err) {
      if (!(err instanceof JwtError)) throw err;
      this.refusal = `invalid OAUTHBEARER token: ${err.message}`;
      return { response: Buffer.from(INVALID_TOKEN), complete: false };
    }
    if (authzid !== '' && authzid !== valid.principal) {
      throw new SaslAuthenticationError(`Authentication failed: Client requested an authorization id (${quoteClientText(authzid)}) that is different from the token's principal name (${valid.principal})`);
    }
    this.username = valid.principal;
    this.expiresAtMs = valid.expiresAtMs;
    return { response: Buffer.alloc(0), complete: true };
  }
}
