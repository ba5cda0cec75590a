import { ClusterNode, TxnMarkerChannel } from '@millrace/cluster';
import type { BrokerState } from '../handler.ts';
import { ErrorCode, errorName } from '@millrace/protocol';
import { NotCoordinatorError, type ReplicatedInternalTopic } from '../group/offset-store.ts';
import { clusterMarkerWriter } from '../txn/marker-writers.ts';
import { isFailure, type Topic } from '../topic-manager.ts';
import { awaitCommit } from './await-commit.ts';
import { createClusterTopic } from './cluster-topics.ts';
import { ReplicaManager } from './replica-manager.ts';
import { isTrue } from '../config/topic-configs.ts';
import { ClusterJsonDocument } from '../security/json-document.ts';

/** Kafka's offsets.commit.timeout.ms: how long a group write waits for the ISR. */
const OFFSET_COMMIT_TIMEOUT_MS = 5_000;

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
    registration: { nodeId: state.identity.nodeId, host: state.advertised.host, port: state.advertised.port, rack: values['broker.rack'] || null, listeners: Object.fromEntries(state.listeners) },
    sessionTimeoutMs: Number(values['broker.session.timeout.ms']),
    rebalance: values['auto.leader.rebalance.enable'] === 'true'
      ? { intervalMs: Number(values['leader.imbalance.check.interval.seconds']) * 1000, imbalancePercentage: Number(values['leader.imbalance.per.broker.percentage']) }
      : null,
    uncleanElectionAllowed: (name) => {
      const topic = state.topics.get(name);
      return isTrue(topic ? state.topics.topicConfig(topic.record, 'unclean.leader.election.enable') : values['unclean.leader.election.enable']);
    },
    log: state.log,
  });
  // The coordinators' internal topics: the cluster's, and a write counts once their ISR has it.
  const internalTopic = (replicationFactorKey: string): ReplicatedInternalTopic => ({
    hasTopic: (name) => node.view.topics.has(name) && state.topics.get(name)?.record.id === node.view.topics.get(name)!.assignment.id,
    createTopic: (name, partitions, configs) => createInternalTopic(state, name, partitions, Number(values[replicationFactorKey]), configs),
    awaitCommitted: async (partition, endOffset, epoch) => {
      replication.advanceHighWatermark(partition);
      const errorCode = await awaitCommit(state, partition, endOffset, epoch, OFFSET_COMMIT_TIMEOUT_MS);
      // Kafka's mapping for coordinator writes: a lost leadership means the group or transactional id moved; anything else, try again.
      if (errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) throw new NotCoordinatorError(`${partition.topic}-${partition.index} moved while a write to it waited for its ISR`);
      if (errorCode !== ErrorCode.NONE) throw Object.assign(new Error(`${partition.topic}-${partition.index}: the ISR did not confirm the write (${errorName(errorCode)})`), { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE });
    },
  });
  state.groups.enterCluster();
  state.groups.offsets.useCluster(internalTopic('offsets.topic.replication.factor'));
  const markers = new TxnMarkerChannel(state.identity.nodeId, state.interBroker);
  state.stopping.addEventListener('abort', () => markers.close());
  state.transactions.enterCluster(
    { ...internalTopic('transaction.state.log.replication.factor'), minInsyncReplicas: Number(values['transaction.state.log.min.isr']) },
    clusterMarkerWriter(state, node, markers),
  );
  node.subscribe((changes) => replication.onChanges(changes));
  state.producerIds.useReserver((size, floor) => node.reserveProducerIds(size, floor));
  replication.attach(node);
  state.cluster = node;
  state.replication = replication;
  try {
    await node.start();
  } catch (err) {
    replication.stop();
    // Never joined: there is nothing to leave.
    state.cluster = null;
    state.replication = null;
    throw new Error(`joining the cluster through etcd at ${values['etcd.endpoints']} failed: ${(err as Error).message}`, { cause: err });
  }
  // Every broker of the cluster reports one cluster id: the one the first broker made.
  state.identity.clusterId = await node.clusterId(state.identity.clusterId);
  // Users, ACLs and quotas are the cluster's, whichever broker a client changes them through.
  await Promise.all([
    state.security.scram.share(new ClusterJsonDocument(node, 'scram-credentials')),
    state.security.acls.share(new ClusterJsonDocument(node, 'acls')),
    state.quotas.store.share(new ClusterJsonDocument(node, 'client-quotas')),
  ]);
  await replication.settled();
  state.log.info(`joined cluster '${values['cluster.name']}' as broker ${state.identity.nodeId} (broker epoch ${node.membership.epoch})`);
}

/** An internal topic in the cluster's metadata; one that another broker created meanwhile is as good. */
async function createInternalTopic(state: BrokerState, name: string, partitions: number, replicationFactor: number, configs: Record<string, string>): Promise<Topic> {
  const created = await createClusterTopic(state, name, partitions, replicationFactor, configs);
  if (!isFailure(created)) return created;
  if (created.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) {
    await state.replication!.settled();
    const topic = state.topics.get(name);
    if (topic) return topic;
  }
  throw Object.assign(new Error(created.message), { errorCode: created.errorCode });
}
