import { ANONYMOUS, type KafkaPrincipal } from '@millrace/security';
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

  constructor(listener: ListenerSpec, certificatePrincipal: KafkaPrincipal | null) {
    this.listener = listener;
    this.principal = certificatePrincipal ?? ANONYMOUS;
    this.authenticated = !usesSasl(listener.securityProtocol);
  }

  /** Runs one SASL token through the exchange; completes the authentication when it says so. */
  async evaluate(token: Buffer): Promise<{ response: Buffer; complete: boolean }> {
    const result = await this.sasl!.exchange.evaluate(token);
    if (result.complete) {
      this.principal = { type: 'User', name: this.sasl!.exchange.username! };
      this.authenticated = true;
      this.sasl = null;
    }
    return result;
  }
}
