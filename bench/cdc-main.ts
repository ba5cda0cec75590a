// npm run bench:cdc: the CDC measurement alone (see cdc.ts).
import { benchCdc, cdcReport } from './cdc.ts';

const result = await benchCdc();
console.log(JSON.stringify(result, null, 2));
for (const line of cdcReport(result)) console.log(line);
