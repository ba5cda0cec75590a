import { type Connection, type LinkSecurity, openBrokerLink } from '@millrace/client';
import { ApiKey, type WriteTxnMarkersRequest, type WriteTxnMarkersResponse } from '@millrace/protocol';

/** WriteTxnMarkers v1 (flexible) is what every broker of this cluster serves. */
const WRITE_TXN_MARKERS_VERSION = 1;

export interface MarkerDestination {
  nodeId: number;
  host: string;
  port: number;
}

/**
 * A transaction coordinator's connections to the other brokers, over which it has the leaders of a
 * transaction's partitions write its markers. One connection per broker, made on first use and
 * dropped when it fails (the next call makes a new one).
 */
export class TxnMarkerChannel {
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly clientId: string;
  private readonly security: LinkSecurity;

  /** `security`: how to reach the other brokers' inter-broker listener (TLS, a SASL login). */
  constructor(nodeId: number, security: LinkSecurity = {}) {
    this.clientId = `millrace-txn-markers-${nodeId}`;
    this.security = security;
  }

  async writeMarkers(to: MarkerDestination, request: WriteTxnMarkersRequest, timeoutMs: number): Promise<WriteTxnMarkersResponse> {
    const key = `${to.nodeId}@${to.host}:${to.port}`;
    let connecting = this.connections.get(key);
    // A connection the other broker closed meanwhile (idle past its connections.max.idle.ms) is made again.
    if (connecting && (await connecting.then((c) => c.closed, () => true))) {
      if (this.connections.get(key) === connecting) this.connections.delete(key);
      connecting = this.connections.get(key);
    }
    if (!connecting) {
      connecting = openBrokerLink(to.host, to.port, { clientId: this.clientId, ...this.security }).then((link) => link.connection);
      this.connections.set(key, connecting);
    }
    try {
      const connection = await connecting;
      return await connection.request<WriteTxnMarkersResponse>(ApiKey.WriteTxnMarkers, WRITE_TXN_MARKERS_VERSION, request, timeoutMs);
    } catch (err) {
      if (this.connections.get(key) === connecting) this.connections.delete(key);
      void connecting.then((c) => c.close(), () => {});
      throw err;
    }
  }

  close(): void {
    for (const connecting of this.connections.values()) void connecting.then((c) => c.close(), () => {});
    this.connections.clear();
  }
}
