// Reads the event-loop delay of a process that loaded loop-delay-probe.ts.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export const PROBE = new URL('./loop-delay-probe.ts', import.meta.url).pathname;

/** The probe's last sample, or null while there is none or it is half written. */
function readSample(file: string): (LoopDelay & { sequence: number }) | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LoopDelay & { sequence: number };
  } catch {
    return null;
  }
}

/** The delay seen since the previous call (or since the process started), resetting the probe. */
export async function takeLoopDelay(pid: number, file: string): Promise<LoopDelay> {
  const previous = readSample(file)?.sequence ?? 0;
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; waited < 5000; waited += 10) {
    await sleep(10);
    const sample = readSample(file);
    if (sample && sample.sequence > previous) return { p50Ms: sample.p50Ms, p99Ms: sample.p99Ms, maxMs: sample.maxMs };
  }
  throw new Error(`process ${pid} wrote no event-loop delay to ${file}: was it started with --import ${PROBE}?`);
}
