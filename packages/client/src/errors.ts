import { errorName, isRetriable } from '@millrace/protocol';

/**
 * An error a broker answered with, named by Kafka's error name (`code`), with the topic and
 * partition it concerns when it concerns one. `retriable` is Kafka's own classification.
 */
export class KafkaError extends Error {
  readonly code: string;
  readonly errorCode: number;
  readonly retriable: boolean;
  readonly topic?: string;
  readonly partition?: number;

  constructor(errorCode: number, context: { topic?: string; partition?: number; message?: string | null; api?: string } = {}) {
    const where = context.topic === undefined ? '' : ` for ${context.topic}${context.partition === undefined ? '' : `-${context.partition}`}`;
    const detail = context.message ? `: ${context.message}` : '';
    super(`${context.api ?? 'request'} failed${where} with ${errorName(errorCode)}${detail}`);
    this.name = 'KafkaError';
    this.code = errorName(errorCode);
    this.errorCode = errorCode;
    this.retriable = isRetriable(errorCode);
    this.topic = context.topic;
    this.partition = context.partition;
  }
}

/** A mistake in how the client was called or configured (never retried). */
export class ClientError extends Error {
  readonly code: 'MILLRACE_CLIENT_CLOSED' | 'MILLRACE_INVALID_ARGUMENT' | 'MILLRACE_NO_VERSION' | 'MILLRACE_BUFFER_FULL' | 'MILLRACE_UNSUPPORTED' | 'MILLRACE_NO_OFFSET' | 'MILLRACE_TRANSACTION_STATE';
  constructor(code: ClientError['code'], message: string) {
    super(message);
    this.name = 'ClientError';
    this.code = code;
  }
}
