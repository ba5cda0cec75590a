import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamsError } from '../errors.ts';
import { JoinWindows, SessionWindows, SlidingWindows, TimeWindows } from './windows.ts';

test('a window factory called without its grace (from JavaScript) says which factory needs it, rather than failing on undefined', () => {
  const missing = undefined as unknown as { grace: '0s' };
  const factories: [string, () => unknown][] = [
    ['TimeWindows.ofSize', () => TimeWindows.ofSize('1m', missing)],
    ['SlidingWindows.ofTimeDifference', () => SlidingWindows.ofTimeDifference('1m', missing)],
    ['SessionWindows.ofInactivityGap', () => SessionWindows.ofInactivityGap('1m', missing)],
    ['JoinWindows.ofTimeDifference', () => JoinWindows.ofTimeDifference('1m', {} as { grace: '0s' })],
  ];
  for (const [name, make] of factories) {
    assert.throws(make, (err: unknown) => err instanceof StreamsError && err.code === 'INVALID_DURATION' && err.message === `${name} needs { grace }: how long after a window ends its late records still count ('0s' for none)`, name);
  }
  assert.equal(TimeWindows.ofSize('1m', { grace: '0s' }).graceMs, 0);
});
