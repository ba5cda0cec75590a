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
    if (options.sasl) await authenticate(connection, versions, options.sasl, options.requestTimeoutMs ?? 30_000);
    return { connection, versions };
  } catch (err) {
    connection.close();
    throw err;
  }
}
