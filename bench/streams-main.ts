// npm run bench:streams: the Streams measurement alone (see streams.ts).
import { benchStreams, streamsReport } from './streams.ts';

const result = await benchStreams();
console.log(JSON.stringify(result, null, 2));
for (const line of streamsReport(result)) console.log(line);
