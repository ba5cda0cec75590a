// npm run bench:security: the security measurement alone (see security.ts).
import { benchSecurity, securityReport } from './security.ts';

const result = await benchSecurity();
console.log(JSON.stringify(result, null, 2));
for (const line of securityReport(result)) console.log(line);
