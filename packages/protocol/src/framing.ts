import { NONE_KNOWN } from './codec-support.ts';
import { ApiKey, API_TABLE, createRequestHeader, encodeRequestHeader } from './messages/index.ts';
import { Reader } from './reader.ts';
import { readTaggedFields } from './tagged-fields.ts';
import { Writer } from './writer.ts';

/**
 * Which request header version an API version uses: v2 (with tagged fields) for flexible versions,
 * v1 otherwise, v0 only for ControlledShutdown v0. Unknown API keys get v1 so their correlation id
 * can still be read.
 */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0;
  const api = API_TABLE[apiKey];
  return api && api.flexibleFrom >= 0 && apiVersion >= api.flexibleFrom ? 2 : 1;
}

/** Response header v1 (tagged fields) for flexible versions, except ApiVersions, whose header is always v0 so old clients can parse it. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  const api = API_TABLE[apiKey];
  return api && api.flexibleFrom >= 0 && apiVersion >= api.flexibleFrom ? 1 : 0;
}

/** Size prefix of every frame on the wire. */
export const FRAME_SIZE_BYTES = 4;

/** Raw byte strings at least this long (record batches) are framed by reference, not copied. */
export const REFERENCE_FROM_BYTES = 16 * 1024;

/**
 * A whole request frame: size prefix, the header for this API version, and the encoded body, as
 * pieces to write in order (record batches of `referenceFrom` bytes or more are not copied).
 */
export function encodeRequestFrameChunks(apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, body: object, referenceFrom = REFERENCE_FROM_BYTES): Buffer[] {
  const w = new Writer(256, referenceFrom);
  w.int32(0);
  encodeRequestHeader(w, createRequestHeader({ requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId }), requestHeaderVersion(apiKey, apiVersion));
  API_TABLE[apiKey]!.encodeRequest(w, body, apiVersion);
  const chunks = w.finishChunks();
  chunks[0].writeInt32BE(w.length - FRAME_SIZE_BYTES, 0);
  return chunks;
}

/** A whole request frame in one buffer. */
export function encodeRequestFrame(apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, body: object): Buffer {
  return encodeRequestFrameChunks(apiKey, apiVersion, correlationId, clientId, body, Infinity)[0];
}

/** The correlation id and decoded body of a response frame (size prefix already removed). Throws ProtocolError when malformed. */
export function decodeResponseFrame(frame: Buffer, apiKey: number, apiVersion: number): { correlationId: number; body: object } {
  const r = new Reader(frame);
  const correlationId = r.int32();
  if (responseHeaderVersion(apiKey, apiVersion) >= 1) readTaggedFields(r, NONE_KNOWN);
  const body = API_TABLE[apiKey]!.decodeResponse(r, apiVersion);
  r.complete(`${API_TABLE[apiKey]!.name} v${apiVersion} response`);
  return { correlationId, body };
}
