/**
 * Where the cluster keeps its metadata in etcd, under `/millrace/<cluster name>/`:
 *
 * - `controller`: the broker acting as controller, under its lease (deleted when the lease ends);
 * - `controller_epoch`: a counter whose mod_revision fences every write the controller makes;
 * - `brokers/<id>`: a broker's registration, under its lease; its create_revision is the broker epoch;
 * - `topics/<name>`: a topic's id, replica assignment and config overrides;
 * - `partitions/<topic id>/<index>`: leader, leader epoch and ISR of one partition. Keyed by topic id,
 *   so a deleted and re-created topic never matches an old compare;
 * - `producer_id_block`: the first producer id no broker has reserved yet;
 * - `cluster_id`: the id every broker reports in Metadata, made by the first broker to start;
 * - `documents/<name>`: a JSON document every broker serves from (SCRAM credentials, ACLs, client
 *   quotas), changed by compare-and-swap on its mod_revision.
 */
export interface ClusterKeys {
  root: string;
  controller: string;
  controllerEpoch: string;
  brokers: string;
  topics: string;
  partitions: string;
  producerIdBlock: string;
  clusterId: string;
  documents: string;
  broker(id: number): string;
  topic(name: string): string;
  partition(topicId: string, index: number): string;
  partitionsOf(topicId: string): string;
}

export function clusterKeys(clusterName: string): ClusterKeys {
  const root = `/millrace/${clusterName}/`;
  return {
    root,
    controller: `${root}controller`,
    controllerEpoch: `${root}controller_epoch`,
    brokers: `${root}brokers/`,
    topics: `${root}topics/`,
    partitions: `${root}partitions/`,
    producerIdBlock: `${root}producer_id_block`,
    clusterId: `${root}cluster_id`,
    documents: `${root}documents/`,
    broker: (id) => `${root}brokers/${id}`,
    topic: (name) => `${root}topics/${name}`,
    partition: (topicId, index) => `${root}partitions/${topicId}/${index}`,
    partitionsOf: (topicId) => `${root}partitions/${topicId}/`,
  };
}
