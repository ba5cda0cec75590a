// npm run soak:crash -- [CYCLES]: the long run of the crash harness (1,000 cycles by default); prints totals.
import { runCrashCycles } from './crash-cycles.ts';

const cycles = Number(process.argv[2] ?? 1000);
const started = Date.now();
const result = await runCrashCycles(cycles, Date.now() % 100_000, (line) => console.log(line));
console.log(JSON.stringify({ cycles: result.cycles, acked: result.acked, lost: result.lost, altered: result.altered, minutes: ((Date.now() - started) / 60_000).toFixed(1) }));
for (const p of result.problems) console.log(`problem: ${p}`);
process.exitCode = result.lost + result.altered + result.problems.length === 0 ? 0 : 1;
