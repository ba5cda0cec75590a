// npm run soak:cluster: the fault schedule of fault-schedule.test.ts, long (FAULTS, default 300;
// SEED), printing each fault and the checker's totals at the end. Exits 1 on any anomaly.
import { describe } from './checker.ts';
import { runFaultSchedule } from './fault-run.ts';

const faults = Number(process.env.FAULTS ?? 300);
const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
console.log(`soak: ${faults} faults, seed ${seed}`);
const result = await runFaultSchedule({ faults, seed, log: (line) => console.log(line) });
console.log(`soak: ${JSON.stringify(result.faultsByKind)}; ${result.sent} sent, ${result.acknowledged} acknowledged, ${result.read} read back; ${describe(result)}; ${(result.seconds / 60).toFixed(1)} min`);
if (!result.valid) {
  console.log(JSON.stringify(result.anomalies, null, 2).slice(0, 20_000));
  process.exitCode = 1;
}
