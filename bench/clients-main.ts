// npm run bench:clients: only the client throughput measurement of the bench (our client, KafkaJS
// and @platformatic/kafka), to iterate on it without the slower recovery and compaction runs.
import { benchClients, clientReport } from './clients.ts';

const result = await benchClients();
console.log(JSON.stringify(result, null, 2));
for (const line of clientReport(result)) console.log(line);
