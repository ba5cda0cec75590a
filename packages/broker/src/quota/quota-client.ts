import type { RequestContext } from '../handler.ts';
import type { QuotaClient } from './client-throttle.ts';
import type { MutationQuota } from './mutation-quota.ts';

/** Who a request is counted for in the quotas: the principal's name (ANONYMOUS when unauthenticated) and the client id. */
export function quotaClient(ctx: RequestContext): QuotaClient {
  return { user: ctx.session.principal.name, clientId: ctx.clientId ?? '' };
}

/** The request's controller_mutation_rate quota, strict from the first version whose clients know THROTTLING_QUOTA_EXCEEDED. */
export function mutationQuota(ctx: RequestContext, strictFromVersion: number): MutationQuota {
  return ctx.broker.quotas.throttle.mutations(quotaClient(ctx), ctx.apiVersion >= strictFromVersion, ctx.broker.now);
}

/** Kafka's words for a mutation refused by controller_mutation_rate. */
export const THROTTLED_MESSAGE = 'The throttling quota has been exceeded.';
