import { parseArgs } from 'node:util';
import { CommandError, outputMode, printTable, withAdmin } from '../admin-session.ts';

export const CLUSTER_USAGE = `Usage:
  millrace cluster info     the cluster id, its brokers and controller, and how many topics it holds

Options: --brokers HOST:PORT[,...] (default: $MILLRACE_BROKERS or 127.0.0.1:9092), --output table|json`;

const OPTIONS = {
  brokers: { type: 'string' },
  output: { type: 'string', default: 'table' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function clusterCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`millrace cluster: ${(err as Error).message}\n\n${CLUSTER_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(CLUSTER_USAGE);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'info') {
    console.error(`millrace cluster: ${positionals.length === 0 ? 'needs an action' : `unknown action "${positionals.join(' ')}"`}\n\n${CLUSTER_USAGE}`);
    return 2;
  }
  try {
    const output = outputMode(values.output);
    const { cluster, topics } = await withAdmin(values.brokers, async (admin) => ({ cluster: await admin.describeCluster(), topics: await admin.listTopics({ includeInternal: true }) }));
    if (output === 'json') {
      console.log(JSON.stringify({ ...cluster, topics: topics.length }, null, 2));
      return 0;
    }
    console.log(`cluster ${cluster.clusterId ?? '(no id)'}  controller ${cluster.controller?.nodeId ?? 'none'}  ${topics.length} topics\n`);
    printTable(['Broker', 'Host', 'Port', 'Rack'], cluster.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack ?? '-']), 'table');
    return 0;
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    console.error(`millrace cluster info: ${err.message}`);
    return err.exitCode;
  }
}
