import { type ClusterNode, NO_LEADER, type TxnMarkerChannel } from '@millrace/cluster';
import {
  createWriteTxnMarkersRequest, createWriteTxnMarkersRequestWritableTxnMarker, createWriteTxnMarkersRequestWritableTxnMarkerTopic, ErrorCode,
} from '@millrace/protocol';
import type { BrokerState } from '../handler.ts';
import { partitionKey, splitPartitionKey } from './txn-records.ts';
import { type MarkerContext, type TxnMarker, writeMarker } from './write-marker.ts';

/**
 * Writes a transaction's marker into partitions (named by partition key), wherever they are led;
 * resolves with the Kafka error for each.
 */
export type MarkerWriter = (partitions: string[], marker: TxnMarker) => Promise<Map<string, number>>;

/** How long a broker has to write markers and have its ISR hold them (its own wait is 30 s). */
const REMOTE_MARKERS_TIMEOUT_MS = 35_000;

/** Into this broker's own logs: every partition on a single broker, its own leaderships in a cluster. */
export function localMarkerWriter(state: MarkerContext): MarkerWriter {
  return async (keys, marker) => {
    const written = keys.map(async (key): Promise<[string, number]> => {
      const { topic, partition } = splitPartitionKey(key);
      const p = state.topics.partition(topic, partition);
      return [key, p ? await writeMarker(state, p, marker) : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION];
    });
    return new Map(await Promise.all(written));
  };
}

/** In a cluster: each partition's leader, as this broker's metadata names it; WriteTxnMarkers to the others. */
export function clusterMarkerWriter(state: BrokerState, node: ClusterNode, channel: TxnMarkerChannel): MarkerWriter {
  const local = localMarkerWriter(state);
  return async (keys, marker) => {
    const results = new Map<string, number>();
    const byLeader = new Map<number, string[]>();
    for (const key of keys) {
      const { topic, partition } = splitPartitionKey(key);
      const assigned = node.view.topics.get(topic);
      if (!assigned) {
        results.set(key, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      const leader = node.view.partition(assigned.assignment.id, partition)?.state.leader ?? NO_LEADER;
      if (leader === NO_LEADER || !node.view.brokers.has(leader)) results.set(key, ErrorCode.LEADER_NOT_AVAILABLE);
      else byLeader.set(leader, [...(byLeader.get(leader) ?? []), key]);
    }
    await Promise.all([...byLeader].map(async ([leader, group]) => {
      const answered = leader === node.nodeId ? await local(group, marker) : await remote(channel, node, leader, group, marker, state);
      for (const [key, errorCode] of answered) results.set(key, errorCode);
    }));
    return results;
  };
}

async function remote(channel: TxnMarkerChannel, node: ClusterNode, leader: number, keys: string[], marker: TxnMarker, state: BrokerState): Promise<Map<string, number>> {
  const broker = node.view.brokers.get(leader)!;
  const byTopic = new Map<string, number[]>();
  for (const key of keys) {
    const { topic, partition } = splitPartitionKey(key);
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  }
  const request = createWriteTxnMarkersRequest({
    markers: [createWriteTxnMarkersRequestWritableTxnMarker({
      producerId: BigInt(marker.producerId),
      producerEpoch: marker.producerEpoch,
      transactionResult: marker.committed,
      coordinatorEpoch: marker.coordinatorEpoch,
      topics: [...byTopic].map(([name, partitionIndexes]) => createWriteTxnMarkersRequestWritableTxnMarkerTopic({ name, partitionIndexes })),
    })],
  });
  try {
    const response = await channel.writeMarkers(broker, request, REMOTE_MARKERS_TIMEOUT_MS);
    const results = new Map<string, number>();
    for (const t of response.markers[0]?.topics ?? []) for (const p of t.partitions) results.set(partitionKey(t.name, p.partitionIndex), p.errorCode);
    // A partition the answer leaves out was not written.
    for (const key of keys) if (!results.has(key)) results.set(key, ErrorCode.UNKNOWN_SERVER_ERROR);
    return results;
  } catch (err) {
    state.log.warn(`writing transaction markers at broker ${leader} failed: ${(err as Error).message}`);
    return new Map(keys.map((key) => [key, ErrorCode.NETWORK_EXCEPTION]));
  }
}
