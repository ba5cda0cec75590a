// A bare Kafka wire client for broker tests: sends typed requests with the generated encoders and
// decodes the responses, or sends raw bytes to see how the broker treats bad input.
import { connect, type Socket } from 'node:net';
import { decodeResponseFrame, encodeRequestFrame } from '@millrace/protocol';

export class WireClient {
  private readonly socket: Socket;
  private buffered = Buffer.alloc(0);
  private readonly waiting: ((frame: Buffer | null) => void)[] = [];
  private nextCorrelationId = 1;
  private readonly clientId: string;
  closed = false;

  private constructor(socket: Socket, clientId: string) {
    this.socket = socket;
    this.clientId = clientId;
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0);
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        this.waiting.shift()?.(frame);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(null);
    });
    socket.on('error', () => {});
  }

  static connect(port: number, clientId = 'wire-test'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new WireClient(socket, clientId)));
      socket.once('error', reject);
    });
  }

  /** Resolves with the next response frame (after the size prefix), or null if the broker closed the connection. */
  nextFrame(): Promise<Buffer | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Encodes a request frame for `apiKey` at `version`. */
  frame(apiKey: number, version: number, request: object, correlationId = this.nextCorrelationId++): Buffer {
    return encodeRequestFrame(apiKey, version, correlationId, this.clientId, request);
  }

  /** Sends one request and decodes its response at `responseVersion` (defaults to the request version). */
  async request<T>(apiKey: number, version: number, request: object, responseVersion = version): Promise<T> {
    const correlationId = this.nextCorrelationId++;
    const pending = this.nextFrame();
    this.sendRaw(this.frame(apiKey, version, request, correlationId));
    const frame = await pending;
    if (!frame) throw new Error(`the broker closed the connection instead of answering API ${apiKey} v${version}`);
    const response = decodeResponseFrame(frame, apiKey, responseVersion);
    if (response.correlationId !== correlationId) throw new Error('correlation id mismatch');
    return response.body as T;
  }

  close(): void {
    this.socket.destroy();
  }
}
