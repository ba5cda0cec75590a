import { API_TABLE, type ApiVersionsResponse, ApiKey, createApiVersionsRequest, ErrorCode } from '@millrace/protocol';
import type { Connection } from './connection.ts';
import { ClientError } from './errors.ts';

/** What one broker serves: API key -> [min, max] version. */
export type BrokerVersions = Map<number, { min: number; max: number }>;

/**
 * Asks a broker which API versions it serves: v3 first, and v0 if the broker answers
 * UNSUPPORTED_VERSION (KIP-511: it then says in v0 which ApiVersions it does take).
 */
export async function negotiateVersions(connection: Connection, clientSoftware: { name: string; version: string }): Promise<BrokerVersions> {
  let response = await connection.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, createApiVersionsRequest({ clientSoftwareName: clientSoftware.name, clientSoftwareVersion: clientSoftware.version }));
  if (response.errorCode === ErrorCode.UNSUPPORTED_VERSION) response = await connection.request<ApiVersionsResponse>(ApiKey.ApiVersions, 0, createApiVersionsRequest());
  return new Map(response.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
}

/** The highest version of `apiKey` both sides speak, within [ourMin, ourMax]. */
export function pickVersion(versions: BrokerVersions, apiKey: number, ourMin: number, ourMax: number): number {
  const theirs = versions.get(apiKey);
  const version = theirs ? Math.min(ourMax, theirs.max) : -1;
  if (!theirs || version < Math.max(ourMin, theirs.min)) {
    const name = API_TABLE[apiKey]?.name ?? `API ${apiKey}`;
    throw new ClientError('MILLRACE_NO_VERSION', `the broker serves ${name} ${theirs ? `v${theirs.min}-${theirs.max}` : 'not at all'}; this client needs v${ourMin}-${ourMax}`);
  }
  return version;
}
