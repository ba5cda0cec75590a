// The crash tier of the test run: 20 SIGKILL cycles under a librdkafka acks=all producer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCrashCycles } from './crash-cycles.ts';

const CYCLES = Number(process.env.CRASH_CYCLES ?? 20);

test(`no acknowledged record is lost or altered across ${CYCLES} SIGKILLs of the broker`, { timeout: 600_000 }, async () => {
  const result = await runCrashCycles(CYCLES, Number(process.env.CRASH_SEED ?? 7));
  console.log(`crash: ${JSON.stringify({ cycles: result.cycles, acked: result.acked, lost: result.lost, altered: result.altered })}`);
  assert.ok(result.acked > CYCLES * 10, `the producer made progress between kills (${result.acked} acknowledged)`);
  assert.deepEqual(result.problems, []);
  assert.equal(result.lost, 0);
  assert.equal(result.altered, 0);
});
