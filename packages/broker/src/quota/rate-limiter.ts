/**
 * One quota's rate, kept as the time by which what was used so far would be paid for at that
 * rate (a GCRA token bucket). A client may run `burstMs` ahead of its rate; past that, it is told
 * to wait. Over any long span it gets the rate, give or take one burst.
 */
export class RateLimiter {
  readonly perSecond: number;
  private readonly burstMs: number;
  private paidUntil = 0;

  constructor(perSecond: number, burstMs: number) {
    this.perSecond = perSecond;
    this.burstMs = burstMs;
  }

  /** Counts `amount` used at `now`; returns how long the client must now wait, in whole milliseconds. */
  record(amount: number, now: number): number {
    this.paidUntil = Math.max(this.paidUntil, now) + (amount * 1000) / this.perSecond;
    return this.waitMs(now);
  }

  /** How long the client must wait before it is served again (0 when it may go on). */
  waitMs(now: number): number {
    return Math.max(0, Math.ceil(this.paidUntil - now - this.burstMs));
  }

  /** How much the client may use now before it is told to wait: at least what one burst allows when it owes nothing. */
  allowance(now: number): number {
    return Math.max(0, ((this.burstMs - Math.max(0, this.paidUntil - now)) * this.perSecond) / 1000);
  }

  /** Whether this limiter remembers nothing any more (everything used is paid for). */
  idle(now: number): boolean {
    return this.paidUntil <= now;
  }
}
