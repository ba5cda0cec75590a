// Loaded into the broker under test with `node --import`, so the bench can read the broker's
// event-loop delay without the broker knowing: each SIGUSR2 writes the delay seen since the
// previous one to MILLRACE_LOOP_DELAY_FILE (as JSON with a sequence number) and starts afresh.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.MILLRACE_LOOP_DELAY_FILE;
// The histogram holds the time between the probe's timer ticks, so each value includes the tick
// interval: the delay is what lies beyond it.
const RESOLUTION_MS = 1;

if (file) {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let sequence = 0;
  process.on('SIGUSR2', () => {
    const ms = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    const sample = { sequence: ++sequence, p50Ms: ms(histogram.percentile(50)), p99Ms: ms(histogram.percentile(99)), maxMs: ms(histogram.max) };
    writeFileSync(file, JSON.stringify(sample));
    histogram.reset();
  });
}
