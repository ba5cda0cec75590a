import { ApiKey, createDescribeClusterRequest, type DescribeClusterResponse, ErrorCode } from '@millrace/protocol';
import { fetchMetadata } from './admin-topics.ts';
import type { Cluster } from './cluster.ts';
import { ClientError, KafkaError } from './errors.ts';

const DESCRIBE_CLUSTER_VERSIONS = [0, 1] as const;

export interface BrokerDescription {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface ClusterDescription {
  clusterId: string | null;
  /** Null when the cluster has no controller just now. */
  controller: BrokerDescription | null;
  brokers: BrokerDescription[];
}

/** The cluster's id, controller and brokers: with DescribeCluster, or Metadata from brokers before Kafka 2.8 that lack it. */
export async function describeCluster(cluster: Cluster): Promise<ClusterDescription> {
  let described: { clusterId: string | null; controllerId: number; brokers: BrokerDescription[] };
  try {
    const { response } = await cluster.retrying(() => cluster.send<DescribeClusterResponse>(null, ApiKey.DescribeCluster, DESCRIBE_CLUSTER_VERSIONS, () => createDescribeClusterRequest()));
    if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, { api: 'DescribeCluster', message: response.errorMessage });
    described = { clusterId: response.clusterId, controllerId: response.controllerId, brokers: response.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack })) };
  } catch (err) {
    if (!(err instanceof ClientError && err.code === 'MILLRACE_NO_VERSION')) throw err;
    const response = await fetchMetadata(cluster, []);
    described = { clusterId: response.clusterId, controllerId: response.controllerId, brokers: response.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })) };
  }
  const brokers = described.brokers.sort((a, b) => a.nodeId - b.nodeId);
  return { clusterId: described.clusterId, controller: brokers.find((b) => b.nodeId === described.controllerId) ?? null, brokers };
}
