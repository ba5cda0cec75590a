import type { Cancellable, PunctuationType } from '../processor.ts';

interface Schedule {
  interval: number;
  next: number;
  punctuator: (timestamp: number) => void;
  cancelled: boolean;
}

/**
 * A task's punctuators of one type. Each fires at most once per call to `punctuate`, with the
 * current time, however many intervals were skipped; its next time stays on its interval's grid.
 */
export class PunctuationQueue {
  private readonly schedules: Schedule[] = [];

  schedule(firstAt: number, interval: number, punctuator: (timestamp: number) => void): Cancellable {
    const s: Schedule = { interval, next: firstAt, punctuator, cancelled: false };
    this.schedules.push(s);
    return { cancel: () => { s.cancelled = true; } };
  }

  /** Runs every punctuator that is due at `now`; returns whether one ran. */
  punctuate(now: number, run: (punctuator: () => void) => void): boolean {
    let ran = false;
    for (const s of [...this.schedules]) {
      if (s.cancelled || now < s.next) continue;
      s.next += (Math.floor((now - s.next) / s.interval) + 1) * s.interval;
      run(() => s.punctuator(now));
      ran = true;
    }
    for (let i = this.schedules.length - 1; i >= 0; i--) if (this.schedules[i].cancelled) this.schedules.splice(i, 1);
    return ran;
  }
}

export function checkInterval(intervalMs: number, type: PunctuationType): void {
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw new RangeError(`a ${type} punctuation interval must be at least 1 ms, not ${intervalMs}`);
}
