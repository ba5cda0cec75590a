import type { RequestContext } from '../handler.ts';
import type { QuotaClient } from './client-throttle.ts';

/** Who a request is counted for in the quotas: the principal's name (ANONYMOUS when unauthenticated) and the client id. */
export function quotaClient(ctx: RequestContext): QuotaClient {
  return { user: ctx.session.principal.name, clientId: ctx.clientId ?? '' };
}
