import { StreamsError } from './errors.ts';

/** A duration: milliseconds, or text such as '500ms', '10s', '5m', '1h', '1d'. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function toMs(duration: Duration, what: string): number {
  if (typeof duration === 'number') {
    if (!Number.isSafeInteger(duration) || duration < 0) throw new StreamsError('INVALID_DURATION', `${what} must be a whole number of milliseconds, not ${duration}`);
    return duration;
  }
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(duration);
  if (!match) throw new StreamsError('INVALID_DURATION', `${what} must be a number of ms or text like '10s', '5m', '1h', not "${String(duration)}"`);
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}
