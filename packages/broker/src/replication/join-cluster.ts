import { ClusterNode } from '@millrace/cluster';
import type { BrokerState } from '../handler.ts';
import { ReplicaManager } from './replica-manager.ts';

/**
 * Makes this broker a member of the cluster named in its settings: every partition it holds starts
 * with no role (nothing is served from it) until the metadata says whether it leads or follows.
 * Resolves once the cluster's metadata, as first read, has been applied.
 */
export async function joinCluster(state: BrokerState): Promise<void> {
  const values = state.config.values;
  const replication = new ReplicaManager(state, {
    replicaLagTimeMaxMs: Number(values['replica.lag.time.max.ms']),
    fetchWaitMaxMs: Number(values['replica.fetch.wait.max.ms']),
    fetchMaxBytes: Number(values['replica.fetch.max.bytes']),
  });
  for (const topic of state.topics.list()) for (const p of topic.partitions) replication.resetRole(p);
  const node = new ClusterNode({
    endpoints: values['etcd.endpoints'].split(',').map((e) => e.trim()).filter((e) => e !== ''),
    clusterName: values['cluster.name'],
    registration: { nodeId: state.identity.nodeId, host: state.advertised.host, port: state.advertised.port, rack: values['broker.rack'] || null },
    sessionTimeoutMs: Number(values['broker.session.timeout.ms']),
    uncleanElectionAllowed: (name) => {
      const topic = state.topics.get(name);
      return (topic ? state.topics.topicConfig(topic.record, 'unclean.leader.election.enable') : values['unclean.leader.election.enable']) === 'true';
    },
    log: state.log,
  });
  node.subscribe((changes) => replication.onChanges(changes));
  replication.attach(node);
  state.cluster = node;
  state.replication = replication;
  try {
    await node.start();
  } catch (err) {
    replication.stop();
    throw new Error(`joining the cluster through etcd at ${values['etcd.endpoints']} failed: ${(err as Error).message}`, { cause: err });
  }
  await replication.settled();
  state.log.info(`joined cluster '${values['cluster.name']}' as broker ${state.identity.nodeId} (broker epoch ${node.membership.epoch})`);
}
