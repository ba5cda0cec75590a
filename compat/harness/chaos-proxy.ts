// A TCP proxy between clients and the broker that can cut every connection at once, as a flaky
// network or a load balancer would: the client sees a reset mid-request and must retry.
import { createServer, type Server, type Socket, connect } from 'node:net';

export interface ChaosProxy {
  port: number;
  /** Connections cut so far. */
  readonly cuts: number;
  /** Destroys every open connection, both sides, at once. */
  cutAll(): void;
  close(): Promise<void>;
}

export function startChaosProxy(port: number, target: { host: string; port: number }): Promise<ChaosProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let cuts = 0;
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        port,
        get cuts() {
          return cuts;
        },
        cutAll() {
          for (const [client, upstream] of pairs) {
            cuts++;
            client.resetAndDestroy();
            upstream.destroy();
          }
          pairs.clear();
        },
        close: () => new Promise<void>((done) => {
          for (const [client, upstream] of pairs) {
            client.destroy();
            upstream.destroy();
          }
          server.close(() => done());
        }),
      }),
    );
  });
}
