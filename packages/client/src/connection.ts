import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { API_TABLE, decodeResponseFrame, encodeRequestFrameChunks } from '@millrace/protocol';
import { FrameAssembler } from './frame-assembler.ts';

/** An operational failure of a connection, with a stable code. */
export class ConnectionError extends Error {
  readonly code: 'MILLRACE_CONNECT' | 'MILLRACE_CLOSED' | 'MILLRACE_TIMEOUT';
  constructor(code: ConnectionError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionError';
    this.code = code;
  }
}

interface Pending {
  apiKey: number;
  version: number;
  resolve: (response: object) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** Requests sent and not yet answered, per connection, as the Java client's default. */
export const DEFAULT_MAX_IN_FLIGHT = 5;

/**
 * One connection to a Kafka broker: typed requests encoded with the generated codec, pipelined up
 * to `maxInFlight` unanswered ones (later ones wait their turn, in order), answered in order and
 * matched by correlation id.
 */
export class Connection {
  private readonly socket: Socket;
  private readonly pending = new Map<number, Pending>();
  /** Requests waiting for an in-flight slot, oldest first. */
  private readonly queued: { correlationId: number; frame: Buffer[]; pending: Pending }[] = [];
  private readonly maxInFlight: number;
  private nextCorrelationId = 1;
  private readonly clientId: string;
  closed = false;

  private constructor(socket: Socket, clientId: string, maxInFlight: number) {
    this.socket = socket;
    this.clientId = clientId;
    this.maxInFlight = maxInFlight;
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const p of [...this.pending.values(), ...this.queued.map((q) => q.pending)]) {
        clearTimeout(p.timer);
        p.reject(new ConnectionError('MILLRACE_CLOSED', `the broker closed the connection before answering ${API_TABLE[p.apiKey]?.name} v${p.version}`));
      }
      this.pending.clear();
      this.queued.length = 0;
    });
  }

  /** Opens a connection; with `tls`, a TLS one (SSL and SASL_SSL listeners), checked against its CA and host name. */
  static open(host: string, port: number, clientId = 'millrace', timeoutMs = 10_000, maxInFlight = DEFAULT_MAX_IN_FLIGHT, tls?: TlsConnectionOptions): Promise<Connection> {
    return new Promise((resolve, reject) => {
      // The socket reads into buffers the assembler hands out (see FrameAssembler); its frames go
      // to the connection once there is one (a broker says nothing before it is asked).
      const frames = new FrameAssembler();
      let connection: Connection | null = null;
      const received = (n: number) => {
        try {
          for (const frame of frames.received(n)) connection?.onFrame(frame);
        } catch (err) {
          socket.destroy(err as Error);
        }
      };
      let socket: Socket;
      if (tls) {
        // A TLS socket hands out decrypted chunks, which are copied into the assembler's buffers.
        socket = connectTls({ ...tls, port, host, servername: tls.servername ?? (isIp(host) ? undefined : host) });
        socket.on('data', (chunk: Buffer) => {
          for (let at = 0; at < chunk.length;) {
            const n = chunk.copy(frames.nextBuffer(), 0, at);
            at += n;
            received(n);
          }
        });
      } else {
        socket = connect({ port, host, onread: { buffer: () => frames.nextBuffer(), callback: (n: number) => (received(n), true) } });
      }
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError('MILLRACE_TIMEOUT', `no connection to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        connection = new Connection(socket, clientId, maxInFlight);
        resolve(connection);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new ConnectionError('MILLRACE_CONNECT', `cannot connect to ${host}:${port}: ${err.message}`, { cause: err }));
      });
    });
  }

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (!p) return;
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    this.sendQueued();
    try {
      p.resolve(decodeResponseFrame(frame, p.apiKey, p.version).body);
    } catch (err) {
      p.reject(err as Error);
    }
  }

  /** Sends one request (once an in-flight slot is free) and resolves with its decoded response; the timeout counts from now. */
  request<T>(apiKey: number, version: number, body: object, timeoutMs = 30_000): Promise<T> {
    if (this.closed) return Promise.reject(new ConnectionError('MILLRACE_CLOSED', 'the connection is closed'));
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequestFrameChunks(apiKey, version, correlationId, this.clientId, body);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const waiting = this.queued.findIndex((q) => q.correlationId === correlationId);
        if (waiting >= 0) this.queued.splice(waiting, 1);
        else if (this.pending.delete(correlationId)) this.sendQueued();
        reject(new ConnectionError('MILLRACE_TIMEOUT', `${API_TABLE[apiKey]?.name} v${version} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const pending = { apiKey, version, resolve: resolve as (r: object) => void, reject, timer };
      if (this.pending.size < this.maxInFlight && this.queued.length === 0) this.write(correlationId, frame, pending);
      else this.queued.push({ correlationId, frame, pending });
    });
  }

  private write(correlationId: number, frame: Buffer[], pending: Pending): void {
    this.pending.set(correlationId, pending);
    this.writeFrame(frame);
  }

  /** The pieces of a frame in one writev (record batches are written from where they are, not copied). */
  private writeFrame(frame: Buffer[]): void {
    this.socket.cork();
    for (const piece of frame) this.socket.write(piece);
    this.socket.uncork();
  }

  /** Sends waiting requests while slots are free. */
  private sendQueued(): void {
    while (this.queued.length > 0 && this.pending.size < this.maxInFlight) {
      const next = this.queued.shift()!;
      this.write(next.correlationId, next.frame, next.pending);
    }
  }

  /** Sends a request the broker does not answer (Produce with acks=0). */
  send(apiKey: number, version: number, body: object): void {
    if (this.closed) throw new ConnectionError('MILLRACE_CLOSED', 'the connection is closed');
    this.writeFrame(encodeRequestFrameChunks(apiKey, version, this.nextCorrelationId++, this.clientId, body));
  }

  close(): void {
    this.socket.destroy();
  }
}

const isIp = (host: string) => /^[\d.]+$/.test(host) || host.includes(':');
