import { connect, type Socket } from 'node:net';
import { API_TABLE, decodeResponseFrame, encodeRequestFrame } from '@millrace/protocol';

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

/**
 * One connection to a Kafka broker: typed requests encoded with the generated codec, pipelined,
 * answered in order and matched by correlation id. The start of the client's connection layer.
 */
export class Connection {
  private readonly socket: Socket;
  private readonly pending = new Map<number, Pending>();
  private buffered: Buffer = Buffer.alloc(0);
  private nextCorrelationId = 1;
  private readonly clientId: string;
  closed = false;

  private constructor(socket: Socket, clientId: string) {
    this.socket = socket;
    this.clientId = clientId;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new ConnectionError('MILLRACE_CLOSED', `the broker closed the connection before answering ${API_TABLE[p.apiKey]?.name} v${p.version}`));
      }
      this.pending.clear();
    });
  }

  static open(host: string, port: number, clientId = 'millrace', timeoutMs = 10_000): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError('MILLRACE_TIMEOUT', `no connection to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new Connection(socket, clientId));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new ConnectionError('MILLRACE_CONNECT', `cannot connect to ${host}:${port}: ${err.message}`, { cause: err }));
      });
    });
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
      const size = this.buffered.readInt32BE(0);
      this.onFrame(this.buffered.subarray(4, 4 + size));
      this.buffered = this.buffered.subarray(4 + size);
    }
  }

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (!p) return;
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    try {
      p.resolve(decodeResponseFrame(frame, p.apiKey, p.version).body);
    } catch (err) {
      p.reject(err as Error);
    }
  }

  /** Sends one request and resolves with its decoded response. */
  request<T>(apiKey: number, version: number, body: object, timeoutMs = 30_000): Promise<T> {
    if (this.closed) return Promise.reject(new ConnectionError('MILLRACE_CLOSED', 'the connection is closed'));
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequestFrame(apiKey, version, correlationId, this.clientId, body);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new ConnectionError('MILLRACE_TIMEOUT', `${API_TABLE[apiKey]?.name} v${version} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, { apiKey, version, resolve: resolve as (r: object) => void, reject, timer });
      this.socket.write(frame);
    });
  }

  /** Sends a request the broker does not answer (Produce with acks=0). */
  send(apiKey: number, version: number, body: object): void {
    if (this.closed) throw new ConnectionError('MILLRACE_CLOSED', 'the connection is closed');
    this.socket.write(encodeRequestFrame(apiKey, version, this.nextCorrelationId++, this.clientId, body));
  }

  close(): void {
    this.socket.destroy();
  }
}
