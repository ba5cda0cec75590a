// npm run bench:cluster: the replication measurement alone (see cluster.ts).
import { benchCluster, clusterReport } from './cluster.ts';

for (const line of clusterReport(await benchCluster())) console.log(line);
