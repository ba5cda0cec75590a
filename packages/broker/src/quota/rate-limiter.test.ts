import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from './rate-limiter.ts';

test('a client within its burst goes on; past it, it waits for exactly what it used beyond', () => {
  const limiter = new RateLimiter(1000, 1000);
  assert.equal(limiter.record(1000, 0), 0, 'one second of quota at once is the burst');
  assert.equal(limiter.record(500, 0), 500, 'half a second beyond it');
  assert.equal(limiter.waitMs(400), 100);
  assert.equal(limiter.waitMs(500), 0);
  assert.equal(limiter.allowance(500), 0, 'nothing to spare at the edge of the burst');
  assert.equal(limiter.allowance(1500), 1000, 'a full burst once paid up');
});

test('over a long run a client that always goes when allowed gets the rate, within one burst', () => {
  const limiter = new RateLimiter(10_000, 1000);
  let now = 0;
  let sent = 0;
  while (now < 30_000) {
    sent += 3000;
    now += Math.max(1, limiter.record(3000, now));
  }
  const rate = sent / (now / 1000);
  assert.ok(rate >= 10_000 && rate <= 10_000 * (1 + 1.1 / 30), `${rate} per second`);
});

test('an idle limiter forgets: a client back after a pause starts with a full burst, not with credit saved up', () => {
  const limiter = new RateLimiter(100, 1000);
  limiter.record(100, 0);
  assert.equal(limiter.idle(999), false);
  assert.equal(limiter.idle(1000), true);
  assert.equal(limiter.record(100, 60_000), 0);
  assert.equal(limiter.record(100, 60_000), 1000);
});
