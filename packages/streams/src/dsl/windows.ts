import { type Duration, toMs } from '../duration.ts';
import { StreamsError } from '../errors.ts';

/** The grace a window factory was given: required, as Kafka's ofSizeAndGrace / ofSizeWithNoGrace make it (JavaScript callers may leave it out). */
function graceOf(options: { grace: Duration } | undefined, factory: string): number {
  if (options?.grace === undefined) throw new StreamsError('INVALID_DURATION', `${factory} needs { grace }: how long after a window ends its late records still count ('0s' for none)`);
  return toMs(options.grace, 'grace');
}

/**
 * Fixed-size windows aligned to the epoch: tumbling (advance = size) or hopping (advance < size).
 * A window is `[start, start + size)`. The grace period is required: records more than `grace`
 * behind the stream time are dropped for windows that have closed.
 */
export class TimeWindows {
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly graceMs: number;

  private constructor(sizeMs: number, advanceMs: number, graceMs: number) {
    if (sizeMs < 1) throw new StreamsError('INVALID_TOPOLOGY', 'a window size must be at least 1 ms');
    if (advanceMs < 1 || advanceMs > sizeMs) throw new StreamsError('INVALID_TOPOLOGY', `a window's advance must be from 1 ms to its size (${sizeMs} ms), not ${advanceMs} ms`);
    this.sizeMs = sizeMs;
    this.advanceMs = advanceMs;
    this.graceMs = graceMs;
  }

  static ofSize(size: Duration, options: { grace: Duration }): TimeWindows {
    const sizeMs = toMs(size, 'window size');
    return new TimeWindows(sizeMs, sizeMs, graceOf(options, 'TimeWindows.ofSize'));
  }

  advanceBy(advance: Duration): TimeWindows {
    return new TimeWindows(this.sizeMs, toMs(advance, 'window advance'), this.graceMs);
  }

  /** The starts of the windows holding `timestamp`, ascending (never negative). */
  windowStarts(timestamp: number): number[] {
    const first = Math.max(0, timestamp - this.sizeMs + this.advanceMs);
    const starts: number[] = [];
    for (let start = first - (first % this.advanceMs); start <= timestamp; start += this.advanceMs) starts.push(start);
    return starts;
  }
}

/**
 * Sliding windows for aggregations: windows of `timeDifference`, both ends inclusive, placed by
 * the records (one ending at each record, one starting just after it when a later record is
 * within reach), so each distinct set of records within the difference has one window.
 */
export class SlidingWindows {
  readonly timeDifferenceMs: number;
  readonly graceMs: number;

  private constructor(timeDifferenceMs: number, graceMs: number) {
    if (timeDifferenceMs < 1) throw new StreamsError('INVALID_TOPOLOGY', 'a sliding window\'s time difference must be at least 1 ms');
    this.timeDifferenceMs = timeDifferenceMs;
    this.graceMs = graceMs;
  }

  static ofTimeDifference(difference: Duration, options: { grace: Duration }): SlidingWindows {
    return new SlidingWindows(toMs(difference, 'time difference'), graceOf(options, 'SlidingWindows.ofTimeDifference'));
  }
}

/** Per-key sessions of activity: records less than `gap` apart share a session `[first, last]`. */
export class SessionWindows {
  readonly gapMs: number;
  readonly graceMs: number;

  private constructor(gapMs: number, graceMs: number) {
    this.gapMs = gapMs;
    this.graceMs = graceMs;
  }

  static ofInactivityGap(gap: Duration, options: { grace: Duration }): SessionWindows {
    return new SessionWindows(toMs(gap, 'inactivity gap'), graceOf(options, 'SessionWindows.ofInactivityGap'));
  }
}

/**
 * The windows of a stream-stream join: a record at `t` joins the other side's records from
 * `t - before` to `t + after` (inclusive). Unmatched records of a left or outer join are emitted
 * once the stream time has passed their window and the grace period.
 */
export class JoinWindows {
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly graceMs: number;

  private constructor(beforeMs: number, afterMs: number, graceMs: number) {
    this.beforeMs = beforeMs;
    this.afterMs = afterMs;
    this.graceMs = graceMs;
  }

  static ofTimeDifference(difference: Duration, options: { grace: Duration }): JoinWindows {
    const ms = toMs(difference, 'join time difference');
    return new JoinWindows(ms, ms, graceOf(options, 'JoinWindows.ofTimeDifference'));
  }

  before(before: Duration): JoinWindows {
    return new JoinWindows(toMs(before, 'before'), this.afterMs, this.graceMs);
  }

  after(after: Duration): JoinWindows {
    return new JoinWindows(this.beforeMs, toMs(after, 'after'), this.graceMs);
  }
}
