/**
 * Cuts a TCP byte stream into Kafka frames (int32 size + body). The size is checked against the
 * limit as soon as its 4 bytes arrive, before anything is allocated for the body, and chunks of a
 * large frame are joined once, when the frame is complete.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Raised once a connection authenticates. */
  maxFrameBytes: number;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * Adds a chunk and returns the complete frames it finishes (bodies without the size prefix), or an
   * error message when a size is negative or over the limit: the stream cannot be trusted after that.
   */
  push(chunk: Buffer): Buffer[] | string {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    while (this.buffered >= 4) {
      const size = this.peekSize();
      if (size < 0 || size > this.maxFrameBytes) {
        return `frame of ${size} bytes exceeds the frame limit of ${this.maxFrameBytes} bytes (socket.request.max.bytes, or sasl.server.max.receive.size before authentication)`;
      }
      if (this.buffered < 4 + size) break;
      const joined = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
      frames.push(joined.subarray(4, 4 + size));
      const rest = joined.subarray(4 + size);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    return frames;
  }

  private peekSize(): number {
    const first = this.chunks[0];
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.concat(this.chunks, this.buffered).subarray(0, 4);
    this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return head.readInt32BE(0);
  }
}
