// npm run bench:recovery: only the startup-recovery measurement of the bench.
import { benchRecovery, recoveryReport } from './recovery.ts';

const result = await benchRecovery();
console.log(JSON.stringify(result, null, 2));
for (const line of recoveryReport(result)) console.log(line);
