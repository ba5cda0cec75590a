import {
  type AlterClientQuotasRequest, type AlterClientQuotasResponse, ApiKey, createAlterClientQuotasResponse, createAlterClientQuotasResponseEntityData,
  createAlterClientQuotasResponseEntryData, ErrorCode,
} from '@millrace/protocol';
import { AclOperation } from '@millrace/security';
import type { Handler } from '../handler.ts';
import { canCluster } from '../security/authorizer.ts';
import { entityKey, invalidQuotaValue, parseEntity, type QuotaKey, QuotaRequestError } from '../quota/quota-entities.ts';
import type { QuotaChange } from '../quota/quota-store.ts';

/** Why one entry of the request cannot be applied, or its change. */
function readEntry(entry: AlterClientQuotasRequest['entries'][number]): QuotaChange | string {
  let entity;
  try {
    entity = parseEntity(entry.entity);
  } catch (err) {
    if (err instanceof QuotaRequestError) return err.message;
    throw err;
  }
  const change: QuotaChange = { entity, set: {}, remove: [] };
  const seen = new Set<string>();
  for (const op of entry.ops) {
    if (seen.has(op.key)) return `Duplicate quota key ${op.key} not updating quota for this entity`;
    seen.add(op.key);
    if (op.remove) {
      change.remove.push(op.key as QuotaKey);
      continue;
    }
    const invalid = invalidQuotaValue(entity, op.key, op.value);
    if (invalid) return invalid;
    change.set[op.key as QuotaKey] = op.value;
  }
  return change;
}

/**
 * Sets and removes client quotas (ALTER_CONFIGS on the cluster). Each entity succeeds or fails on
 * its own; what succeeds is on disk before the answer, and applies to the next request counted.
 */
export const alterClientQuotasHandler: Handler<AlterClientQuotasRequest, AlterClientQuotasResponse> = {
  apiKey: ApiKey.AlterClientQuotas,
  versions: { min: 0, max: 1 },
  async handle(ctx, request) {
    const authorized = canCluster(ctx, AclOperation.ALTER_CONFIGS);
    const seen = new Set<string>();
    const outcomes = request.entries.map((entry) => {
      if (!authorized) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'ALTER_CONFIGS on the cluster is needed' };
      const change = readEntry(entry);
      if (typeof change === 'string') return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: change };
      const key = entityKey(change.entity);
      if (seen.has(key)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Ignoring duplicate entity' };
      seen.add(key);
      return { errorCode: ErrorCode.NONE, errorMessage: null, change };
    });
    const changes = outcomes.flatMap((o) => (o.change ? [o.change] : []));
    if (!request.validateOnly && changes.length > 0) await ctx.broker.quotas.store.alter(changes);
    return createAlterClientQuotasResponse({
      entries: request.entries.map((entry, i) => createAlterClientQuotasResponseEntryData({
        errorCode: outcomes[i].errorCode,
        errorMessage: outcomes[i].errorMessage,
        entity: entry.entity.map((e) => createAlterClientQuotasResponseEntityData({ entityType: e.entityType, entityName: e.entityName })),
      })),
    });
  },
};
