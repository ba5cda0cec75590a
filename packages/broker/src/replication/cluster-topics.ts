import { ClusterChangeError, type ClusterNode } from '@millrace/cluster';
import { ErrorCode } from '@millrace/protocol';
import type { BrokerState } from '../handler.ts';
import type { KafkaFailure, Topic } from '../topic-manager.ts';

/** The broker's cluster membership, for code that runs only in cluster mode. */
function clusterOf(state: BrokerState): ClusterNode {
  if (!state.cluster || !state.replication) throw new Error('not in cluster mode');
  return state.cluster;
}

function failure(err: unknown, what: string): KafkaFailure {
  if (err instanceof ClusterChangeError) return { errorCode: err.errorCode, message: err.message };
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, message: `${what}: ${(err as Error).message}` };
}

/**
 * Creates a topic in the cluster's metadata, then waits until this broker has applied it (its logs
 * are open), so that the client's next request here finds it.
 */
export async function createClusterTopic(state: BrokerState, name: string, partitions: number, replicationFactor: number, configs: Record<string, string>, replicas?: number[][]): Promise<Topic | KafkaFailure> {
  const node = clusterOf(state);
  try {
    await node.topics.createTopic(name, partitions, replicationFactor, configs, replicas);
  } catch (err) {
    return failure(err, `topic '${name}' could not be created`);
  }
  await state.replication!.settled();
  const topic = state.topics.get(name);
  if (!topic) return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, message: `topic '${name}' was created but could not be opened here` };
  return topic;
}

export async function deleteClusterTopic(state: BrokerState, name: string): Promise<KafkaFailure | null> {
  const node = clusterOf(state);
  try {
    await node.topics.deleteTopic(name);
  } catch (err) {
    return failure(err, `topic '${name}' could not be deleted`);
  }
  await state.replication!.settled();
  return null;
}

/** Changes a topic's configs or partition count in the cluster's metadata, then waits until this broker has applied it. */
export async function updateClusterTopic(state: BrokerState, name: string, change: { configs?: Record<string, string>; partitions?: number; replicas?: number[][] }): Promise<KafkaFailure | null> {
  const node = clusterOf(state);
  try {
    await node.topics.updateTopic(name, change);
  } catch (err) {
    return failure(err, `topic '${name}' could not be changed`);
  }
  await state.replication!.settled();
  return null;
}

/** In a cluster, topics that exist only on this broker (the internal ones, for now) are not the cluster's. */
export function isClusterTopic(state: BrokerState, topic: Topic): boolean {
  return !state.cluster || state.cluster.view.topicsById.has(topic.record.id);
}
