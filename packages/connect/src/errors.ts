/**
 * An error of a connector's configuration or of the Connect runtime, with a stable `code`:
 * INVALID_CONFIG (a setting is missing or wrong; the message names it), CONVERSION (a record could
 * not be converted), TASK_FAILED.
 */
export class ConnectError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectError';
    this.code = code;
  }
}
