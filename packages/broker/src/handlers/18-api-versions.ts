import {
  ApiKey, type ApiVersionsRequest, type ApiVersionsResponse, createApiVersionsResponse,
  createApiVersionsResponseApiVersion, ErrorCode,
} from '@millrace/protocol';
import type { BrokerState, Handler } from '../handler.ts';

/** KIP-511's rule for client software names and versions sent in ApiVersions v3+. */
const SOFTWARE_FIELD = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

function apiKeys(state: BrokerState) {
  return [...state.handlers.values()]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((h) => createApiVersionsResponseApiVersion({ apiKey: h.apiKey, minVersion: h.versions.min, maxVersion: h.versions.max }));
}

/** Built from each handler's declared range, so what is advertised is exactly what is routed. */
export function apiVersionsHandler(state: BrokerState): Handler<ApiVersionsRequest, ApiVersionsResponse> {
  return {
    apiKey: ApiKey.ApiVersions,
    versions: { min: 0, max: 4 },
    handle(ctx, request) {
      if (ctx.apiVersion >= 3 && (!SOFTWARE_FIELD.test(request.clientSoftwareName) || !SOFTWARE_FIELD.test(request.clientSoftwareVersion))) {
        return createApiVersionsResponse({ errorCode: ErrorCode.INVALID_REQUEST, apiKeys: apiKeys(state) });
      }
      // Transactions v2 (KIP-890) is not implemented, so no features are advertised at all.
      return createApiVersionsResponse({ apiKeys: apiKeys(state) });
    },
    errorResponse(_request, errorCode) {
      return createApiVersionsResponse({ errorCode, apiKeys: apiKeys(state) });
    },
  };
}
