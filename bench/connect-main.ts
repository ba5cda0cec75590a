// npm run bench:connect: the Connect measurement alone (see connect.ts).
import { benchConnect, connectReport } from './connect.ts';

const result = await benchConnect();
console.log(JSON.stringify(result, null, 2));
for (const line of connectReport(result)) console.log(line);
