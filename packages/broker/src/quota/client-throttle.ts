import { entityKey, type QuotaKey } from './quota-entities.ts';
import type { QuotaStore } from './quota-store.ts';
import { MutationQuota } from './mutation-quota.ts';
import { RateLimiter } from './rate-limiter.ts';

/** Above this many rate limiters, those with nothing left to remember are dropped. */
const SWEEP_ABOVE = 10_000;

/** Who a quota is counted for: the authenticated user's name and the client id it sent. */
export interface QuotaClient {
  user: string;
  clientId: string;
}

/**
 * Applies the client quotas: produce and fetch bytes, and handler time, each counted per the entity
 * its quota was found on (all of a user's clients share a user quota; each client id has its own
 * under a client-id default). Answers with how long a client must be throttled.
 */
export class ClientThrottle {
  private readonly store: QuotaStore;
  private readonly burstMs: number;
  private readonly mutationBurstMs: number;
  private readonly limiters = new Map<string, RateLimiter>();

  /** `burstMs` for the byte and time quotas; `mutationBurstMs` for controller_mutation_rate (Kafka's bursts differ). */
  constructor(store: QuotaStore, burstMs: number, mutationBurstMs: number) {
    this.store = store;
    this.burstMs = burstMs;
    this.mutationBurstMs = mutationBurstMs;
  }

  /** Counts a produce request's bytes; returns the throttle time. */
  produced(client: QuotaClient, bytes: number, now: number): number {
    return this.limiter('producer_byte_rate', client, now)?.record(bytes, now) ?? 0;
  }

  /**
   * Before a fetch: how long the client must still wait (a fetch that must wait is answered empty
   * at once, as Kafka does), and how many bytes it may be sent now.
   */
  fetchAllowance(client: QuotaClient, now: number): { waitMs: number; maxBytes: number } {
    const limiter = this.limiter('consumer_byte_rate', client, now);
    if (!limiter) return { waitMs: 0, maxBytes: Infinity };
    // At least one byte: a fetch always carries the first batch, however large (Kafka's rule).
    return { waitMs: limiter.waitMs(now), maxBytes: Math.max(1, Math.floor(limiter.allowance(now))) };
  }

  /** Counts a fetch response's bytes; returns the throttle time. */
  fetched(client: QuotaClient, bytes: number, now: number): number {
    return this.limiter('consumer_byte_rate', client, now)?.record(bytes, now) ?? 0;
  }

  /** Counts the time the broker spent on a request (request_percentage is a share of one thread); returns the throttle time. */
  handled(client: QuotaClient, ms: number, now: number): number {
    return this.limiter('request_percentage', client, now)?.record(ms, now) ?? 0;
  }

  /**
   * KIP-599's controller_mutation_rate (partitions created, added or deleted per second) for one
   * request. `strict` for the request versions whose clients know THROTTLING_QUOTA_EXCEEDED: those
   * are refused a mutation while over the quota; older ones are only slowed down.
   */
  mutations(client: QuotaClient, strict: boolean, now: () => number): MutationQuota {
    return new MutationQuota(this.limiter('controller_mutation_rate', client, now()), strict, now);
  }

  /** Whether any request_percentage quota is set: only then is handler time measured. */
  get measuresRequestTime(): boolean {
    return this.store.uses('request_percentage');
  }

  private limiter(key: QuotaKey, client: QuotaClient, now: number): RateLimiter | null {
    const found = this.store.lookup(key, client.user, client.clientId);
    if (!found) return null;
    // request_percentage: 100 is one thread's whole time, 1000 ms of work in each second.
    const perSecond = key === 'request_percentage' ? found.value * 10 : found.value;
    const id = `${key}${entityKey(found.shared)}`;
    let limiter = this.limiters.get(id);
    if (!limiter || limiter.perSecond !== perSecond) {
      if (this.limiters.size >= SWEEP_ABOVE) this.sweep(now);
      limiter = new RateLimiter(perSecond, key === 'controller_mutation_rate' ? this.mutationBurstMs : this.burstMs);
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  private sweep(now: number): void {
    for (const [id, limiter] of this.limiters) if (limiter.idle(now)) this.limiters.delete(id);
  }
}
