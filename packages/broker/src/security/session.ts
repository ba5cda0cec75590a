import { ANONYMOUS, type KafkaPrincipal, SaslAuthenticationError } from '@millrace/security';
import { type ListenerSpec, usesSasl } from './listeners.ts';
import type { SaslExchange } from './sasl-exchange.ts';

/**
 * Who is on one connection, and how far its authentication got. Connections of PLAINTEXT and SSL
 * listeners are authenticated from the start (as ANONYMOUS, or their certificate's principal); a
 * SASL listener's connection may send only ApiVersions, SaslHandshake and SaslAuthenticate until
 * its exchange completes.
 */
export class Session {
  readonly listener: ListenerSpec;
  principal: KafkaPrincipal;
  authenticated: boolean;
  /** Chosen by SaslHandshake; `rawTokens` after a v0 handshake, whose tokens come as bare frames, not SaslAuthenticate requests. */
  sasl: { mechanism: string; exchange: SaslExchange; rawTokens: boolean } | null = null;
  /** Set when the connection must close once its pending responses are written (a failed authentication). */
  closeReason: string | null = null;
  /** The mechanism the client logged in with: a re-authentication (KIP-368) must use it again. */
  loggedInWith: string | null = null;
  /** When the login expires (connections.max.reauth.ms, or sooner an OAUTHBEARER token): after it, only a new login is served. */
  expiresAtMs: number | null = null;

  constructor(listener: ListenerSpec, certificatePrincipal: KafkaPrincipal | null) {
    this.listener = listener;
    this.principal = certificatePrincipal ?? ANONYMOUS;
    this.authenticated = !usesSasl(listener.securityProtocol);
  }

  /**
   * Runs one SASL token through the exchange; completes the authentication when it says so, with
   * the time the token expires (if it does). A re-authentication must name the same principal.
   */
  async evaluate(token: Buffer): Promise<{ response: Buffer; complete: boolean; tokenExpiresAtMs: number | null }> {
    const { exchange, mechanism } = this.sasl!;
    const result = await exchange.evaluate(token);
    if (!result.complete) return { ...result, tokenExpiresAtMs: null };
    const name = exchange.username!;
    if (this.loggedInWith !== null && name !== this.principal.name) {
      throw new SaslAuthenticationError(`Cannot change principals during re-authentication from User:${this.principal.name}: User:${name}`);
    }
    this.principal = { type: 'User', name };
    this.authenticated = true;
    this.loggedInWith = mechanism;
    this.sasl = null;
    return { ...result, tokenExpiresAtMs: exchange.expiresAtMs ?? null };
  }
}
