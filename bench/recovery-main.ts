// npm run bench:recovery: only the startup-recovery measurement of the bench.
import { benchRecovery } from './recovery.ts';

const result = await benchRecovery();
console.log(JSON.stringify(result, null, 2));
console.log(`recovery of ${(result.logBytes / 1e6).toFixed(0)} MB: ${result.recoverySeconds.toFixed(2)} s (target under 10 s: ${result.recoverySeconds < 10 ? 'PASS' : 'FAIL'})`);
