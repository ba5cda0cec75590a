import type { RateLimiter } from './rate-limiter.ts';

/**
 * One request's share of a client's controller_mutation_rate. As in Kafka, a mutation is let
 * through whole while the client is within its quota, even one that takes it far past (a topic is
 * never half created), and the client then waits until it is back within.
 */
export class MutationQuota {
  private readonly limiter: RateLimiter | null;
  private readonly strict: boolean;
  private readonly now: () => number;

  constructor(limiter: RateLimiter | null, strict: boolean, now: () => number) {
    this.limiter = limiter;
    this.strict = strict;
    this.now = now;
  }

  /** Counts a mutation of `partitions` partitions; false, and nothing counted, when a strict quota is already exceeded. */
  admit(partitions: number): boolean {
    if (!this.limiter) return true;
    const now = this.now();
    if (this.strict && this.limiter.waitMs(now) > 0) return false;
    this.limiter.record(partitions, now);
    return true;
  }

  /** How long the client must now wait: the request's throttle_time_ms. */
  throttleMs(): number {
    return this.limiter?.waitMs(this.now()) ?? 0;
  }
}
