import { parseArgs } from 'node:util';
import type { LogDirDescription } from '@millrace/client';
import { CommandError, outputMode, printTable, withAdmin, CONNECT_OPTIONS } from '../admin-session.ts';

export const CLUSTER_USAGE = `Usage:
  millrace cluster info                 the cluster id, its brokers and controller, its topics and partitions, and which partitions are under-replicated or offline
  millrace cluster log-dirs [TOPIC...]   each broker's data directory, its disk's size and free space, and the size of every replica in it (of the topics named, or all)

Options: --brokers HOST:PORT[,...] (default: $MILLRACE_BROKERS or 127.0.0.1:9092), --output table|json`;

const OPTIONS = {
  ...CONNECT_OPTIONS,
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
  const [action, ...named] = positionals;
  if (!(action === 'info' && named.length === 0) && action !== 'log-dirs') {
    console.error(`millrace cluster: ${positionals.length === 0 ? 'needs an action' : `unknown action "${positionals.join(' ')}"`}\n\n${CLUSTER_USAGE}`);
    return 2;
  }
  try {
    const output = outputMode(values.output);
    if (action === 'log-dirs') {
      printLogDirs(await withAdmin(values, (admin) => admin.describeLogDirs(named.length > 0 ? named : undefined)), output);
      return 0;
    }
    const { cluster, topics } = await withAdmin(values, async (admin) => {
      const names = await admin.listTopics({ includeInternal: true });
      return { cluster: await admin.describeCluster(), topics: names.length > 0 ? await admin.describeTopics(names) : [] };
    });
    // Partitions whose ISR is smaller than their replica set, and those with no leader at all.
    const partitions = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p })));
    const underReplicated = partitions.filter((p) => p.isr.length < p.replicas.length);
    const offline = partitions.filter((p) => p.leader < 0);
    if (output === 'json') {
      console.log(JSON.stringify({ ...cluster, topics: topics.length, partitions: partitions.length, underReplicated, offline }, null, 2));
      return 0;
    }
    console.log(`cluster ${cluster.clusterId ?? '(no id)'}  controller ${cluster.controller?.nodeId ?? 'none'}  ${topics.length} topics  ${partitions.length} partitions  ${underReplicated.length} under-replicated  ${offline.length} offline\n`);
    printTable(['Broker', 'Host', 'Port', 'Rack'], cluster.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack ?? null]), 'table');
    if (underReplicated.length > 0) {
      console.log('\nUnder-replicated partitions:');
      printTable(['Topic', 'Partition', 'Leader', 'Replicas', 'ISR'], underReplicated.map((p) => [p.topic, p.partition, p.leader, p.replicas.join(','), p.isr.join(',')]), 'table');
    }
    return 0;
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    console.error(`millrace cluster ${action}: ${err.message}`);
    return err.exitCode;
  }
}

function printLogDirs(dirs: LogDirDescription[], output: 'table' | 'json'): void {
  if (output === 'json') {
    console.log(JSON.stringify(dirs, null, 2));
    return;
  }
  printTable(['Broker', 'Directory', 'Disk size', 'Disk free', 'Replicas', 'Replica bytes'], dirs.map((d) => [d.broker, d.logDir, d.totalBytes, d.usableBytes, d.replicas.length, d.replicas.reduce((n, r) => n + r.sizeBytes, 0)]), 'table');
  console.log('');
  printTable(['Broker', 'Topic', 'Partition', 'Bytes', 'Lag'], dirs.flatMap((d) => d.replicas.map((r) => [d.broker, r.topic, r.partition, r.sizeBytes, r.offsetLag])), 'table');
}
