import { ErrorCode } from '@millrace/protocol';
import { ProducerSequenceError } from '@millrace/storage';
import { OFFSETS_TOPIC } from '../group/offset-store.ts';
import type { BrokerState } from '../handler.ts';
import type { Partition } from '../partition.ts';
import { awaitCommit } from '../replication/await-commit.ts';
import { storageErrorCode } from '../storage-errors.ts';

/** Kafka's marker writes wait for the ISR as long as a produce with acks=all would by default. */
const MARKER_COMMIT_TIMEOUT_MS = 30_000;

/** What writing a marker needs of the broker. */
export type MarkerContext = Pick<BrokerState, 'topics' | 'log' | 'replication' | 'stopping'> & { groups: Pick<BrokerState['groups'], 'offsets'> };

/** A transaction's end as the coordinator decided it, for one producer. */
export interface TxnMarker {
  producerId: number;
  producerEpoch: number;
  committed: boolean;
  /** The leader epoch of the coordinator's `__transaction_state` partition. */
  coordinatorEpoch: number;
}

/**
 * Writes a commit or abort marker into a partition this broker leads, and resolves with the Kafka
 * error for it once it is durable (and, in a cluster, held by the ISR): that ends the producer's
 * transaction there, releasing the last stable offset, and makes its transactional offset commits
 * count when the partition is one of `__consumer_offsets`.
 */
export async function writeMarker(state: MarkerContext, partition: Partition, marker: TxnMarker): Promise<number> {
  if (partition.role !== 'leader') return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  let end: number;
  const epoch = partition.leaderEpoch;
  // Decided before the flush's await, in which a step-down clears partition.replication (see appendPartition).
  const replicated = partition.replication !== null ? state.replication : null;
  try {
    end = partition.log.appendTxnMarker(marker.producerId, marker.producerEpoch, marker.committed, marker.coordinatorEpoch).lastOffset + 1;
    await partition.log.flush();
  } catch (err) {
    if (err instanceof ProducerSequenceError) return ErrorCode[err.code];
    return storageErrorCode(err, state.log);
  }
  partition.notifyNewData();
  if (replicated) {
    replicated.advanceHighWatermark(partition);
    const errorCode = await awaitCommit(state, partition, end, epoch, MARKER_COMMIT_TIMEOUT_MS);
    if (errorCode !== ErrorCode.NONE) return errorCode;
  }
  if (partition.topic === OFFSETS_TOPIC) state.groups.offsets.completeTransaction(marker.producerId, marker.committed);
  return ErrorCode.NONE;
}
