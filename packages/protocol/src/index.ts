export * from './messages/index.ts';
export type { ApiCodec } from './api-codec.ts';
export { Reader, EMPTY, ZERO_UUID } from './reader.ts';
export { Writer } from './writer.ts';
export { ProtocolError } from './protocol-error.ts';
export { ErrorCode, errorName, isRetriable, type ErrorCodeName } from './error-codes.ts';
export { requestHeaderVersion, responseHeaderVersion, FRAME_SIZE_BYTES } from './framing.ts';
export { NO_TAGS, type UnknownTaggedField } from './tagged-fields.ts';
