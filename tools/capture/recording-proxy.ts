import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a broker that keeps the first request frame (size prefix removed) of
 * every API key and version each client label sends.
 */
export class RecordingProxy {
  label = 'unlabelled';
  readonly frames = new Map<string, Buffer[]>();
  private readonly seen = new Set<string>();
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.server = server;
  }

  static start(port: number, brokerPort: number): Promise<RecordingProxy> {
    const server = createServer();
    const proxy = new RecordingProxy(server);
    server.on('connection', (client) => proxy.relay(client, brokerPort));
    return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(proxy)));
  }

  private relay(client: Socket, brokerPort: number): void {
    const upstream = connect(brokerPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => this.sockets.delete(s));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.pipe(client);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        this.record(Buffer.from(pending.subarray(4, 4 + size)));
        pending = pending.subarray(4 + size);
      }
    });
  }

  private record(frame: Buffer): void {
    const key = `${this.label}/${frame.readInt16BE(0)}/${frame.readInt16BE(2)}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (!this.frames.has(this.label)) this.frames.set(this.label, []);
    this.frames.get(this.label)!.push(frame);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
