// npm run soak:cluster: the fault schedule of fault-schedule.test.ts, long (FAULTS, default 300;
// SEED), with network partitions too where namespaces can be made (NETWORK=0 leaves them out),
// printing each fault and the checker's totals at the end. Exits 1 on any anomaly.
import { describe } from './checker.ts';
import { brokerAccount, runFaultSchedule } from './fault-run.ts';
import { openTestNetwork } from './test-network.ts';

const faults = Number(process.env.FAULTS ?? 300);
const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
const network = process.env.NETWORK === '0' ? null : openTestNetwork(['etcd', 'b1', 'b2', 'b3']);
console.log(`soak: ${faults} faults, seed ${seed}, ${network ? 'with network partitions' : 'process faults only (no network namespaces)'}`);
try {
  const result = await runFaultSchedule({ faults, seed, network: network ?? undefined, log: (line) => console.log(line) });
  console.log(`soak: ${JSON.stringify(result.faultsByKind)}; ${result.sent} sent, ${result.acknowledged} acknowledged, ${result.read} read back; transactions ${JSON.stringify(result.transactions)}; ${describe(result)}; ${result.producerErrors.length} producer(s) stopped by a fatal client error; ${(result.seconds / 60).toFixed(1)} min`);
  for (const error of result.producerErrors) console.log(`  ${error}`);
  if (!result.valid) {
    console.log(JSON.stringify(result.anomalies, null, 2).slice(0, 20_000));
    console.log(brokerAccount(result, 400));
    process.exitCode = 1;
  }
} finally {
  network?.dispose();
}
