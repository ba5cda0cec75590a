import { ApiKey, API_TABLE } from './messages/index.ts';

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
