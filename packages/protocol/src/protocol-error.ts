/** Raised when bytes from the network cannot be a valid Kafka message. The connection that sent them is closed. */
export class ProtocolError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}
