import type { RateLimiter } from './rate-limiter.ts';

/**
 * One request's share of a client's controller_mutation_rate. As in Kafka, a mutation is let
 * through whole while the client is within its quota, even one that takes it far past (a topic is
 * never half created). A strict request is throttled only once it has had a mutation refused (the
 * client asks again for that one after the throttle time); a permissive one whenever it is over.
 */
export class MutationQuota {
  private readonly limiter: RateLimiter | null;
  private readonly strict: boolean;
  private readonly now: () => number;
  private refused = false;

  constructor(limiter: RateLimiter | null, strict: boolean, now: () => number) {
    this.limiter = limiter;
    this.strict = strict;
    this.now = now;
  }

  /** Counts a mutation of `partitions` partitions; false, and nothing counted, when a strict quota is already exceeded. */
  admit(partitions: number): boolean {
    if (!this.limiter) return true;
    const now = this.now();
    if (this.strict && this.limiter.waitMs(now) > 0) {
      this.refused = true;
      return false;
    }
    this.limiter.record(partitions, now);
    return true;
  }

  /** How long the client must now wait: the request's throttle_time_ms. */
  throttleMs(): number {
    if (this.strict && !this.refused) return 0;
    return this.limiter?.waitMs(this.now()) ?? 0;
  }
}
