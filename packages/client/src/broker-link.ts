import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { type BrokerVersions, negotiateVersions } from './api-versions.ts';
import { Connection, DEFAULT_MAX_IN_FLIGHT } from './connection.ts';
import { authenticate, type SaslSettings } from './sasl.ts';

/** The client software named in ApiVersions (KIP-511). */
const SOFTWARE = { name: 'millrace-client', version: '0.1.0' };

/** How a connection reaches a secured listener: TLS options, and a SASL login. */
export interface LinkSecurity {
  tls?: TlsConnectionOptions;
  sasl?: SaslSettings;
}

export interface LinkOptions extends LinkSecurity {
  clientId: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  maxInFlight?: number;
}

/** A connection to one broker with the versions it speaks, logged in when the options say so; closed again if any step fails. */
export async function openBrokerLink(host: string, port: number, options: LinkOptions): Promise<{ connection: Connection; versions: BrokerVersions }> {
  const connection = await Connection.open(host, port, options.clientId, options.connectTimeoutMs ?? 10_000, options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, options.tls);
  try {
    const versions = await negotiateVersions(connection, SOFTWARE);
    if (options.sasl) {
      const lifetimeMs = await authenticate(connection, versions, options.sasl, options.requestTimeoutMs ?? 30_000);
      renewLogin(connection, versions, options.sasl, options.requestTimeoutMs ?? 30_000, lifetimeMs);
    }
    return { connection, versions };
  } catch (err) {
    connection.close();
    throw err;
  }
}

/**
 * KIP-368: a login the broker gave a lifetime is renewed on the same connection before it ends
 * (at 85-95% of it, as Kafka's Java client does), with requests going on meanwhile. A renewal that
 * fails closes the connection; the next request opens a new one and logs in from the start.
 */
function renewLogin(connection: Connection, versions: BrokerVersions, sasl: SaslSettings, timeoutMs: number, lifetimeMs: number): void {
  if (!(lifetimeMs > 0)) return;
  const timer = setTimeout(() => {
    if (connection.closed) return;
    authenticate(connection, versions, sasl, timeoutMs).then(
      (next) => renewLogin(connection, versions, sasl, timeoutMs, next),
      () => connection.close(),
    );
  }, lifetimeMs * (0.85 + Math.random() * 0.1));
  timer.unref();
}
