import {
  ApiKey, createDescribeClientQuotasResponse, createDescribeClientQuotasResponseEntityData, createDescribeClientQuotasResponseEntryData,
  createDescribeClientQuotasResponseValueData, type DescribeClientQuotasRequest, type DescribeClientQuotasResponse, ErrorCode,
} from '@millrace/protocol';
import { AclOperation } from '@millrace/security';
import type { Handler } from '../handler.ts';
import { canCluster } from '../security/authorizer.ts';
import { filterEntities, QuotaRequestError } from '../quota/quota-entities.ts';

/** The client quotas a filter selects, as Kafka's KRaft brokers answer (DESCRIBE_CONFIGS on the cluster). */
export const describeClientQuotasHandler: Handler<DescribeClientQuotasRequest, DescribeClientQuotasResponse> = {
  apiKey: ApiKey.DescribeClientQuotas,
  versions: { min: 0, max: 1 },
  handle(ctx, request) {
    if (!canCluster(ctx, AclOperation.DESCRIBE_CONFIGS)) {
      return createDescribeClientQuotasResponse({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'DESCRIBE_CONFIGS on the cluster is needed', entries: null });
    }
    const store = ctx.broker.quotas.store;
    let selected;
    try {
      selected = filterEntities(store.all().map((e) => e.entity), request.components, request.strict);
    } catch (err) {
      if (!(err instanceof QuotaRequestError)) throw err;
      // Kafka answers an entity type it does not know with UNSUPPORTED_VERSION, every other bad filter with INVALID_REQUEST.
      const errorCode = err.message.startsWith('Unsupported entity type') ? ErrorCode.UNSUPPORTED_VERSION : ErrorCode.INVALID_REQUEST;
      return createDescribeClientQuotasResponse({ errorCode, errorMessage: err.message, entries: null });
    }
    return createDescribeClientQuotasResponse({
      errorMessage: null,
      entries: selected.map((entity) => createDescribeClientQuotasResponseEntryData({
        entity: Object.entries(entity).map(([entityType, entityName]) => createDescribeClientQuotasResponseEntityData({ entityType, entityName })),
        values: Object.entries(store.get(entity)!.values).map(([key, value]) => createDescribeClientQuotasResponseValueData({ key, value })),
      })),
    });
  },
};
