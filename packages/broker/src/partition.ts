import type { LeaderState } from '@millrace/cluster';
import type { PartitionLog } from '@millrace/storage';
import { RefusedBatches } from './refused-batches.ts';

/** What this broker does for a partition. A single broker leads every partition it has. */
export type ReplicaRole = 'leader' | 'follower' | 'none';

/**
 * One partition this broker holds: its log plus the fetch requests waiting for new data.
 * Waiters are woken after a flush or a replication step moves the high watermark (consumers only
 * see committed data), and when the broker's role for the partition changes.
 */
export class Partition {
  readonly topic: string;
  readonly index: number;
  readonly log: PartitionLog;
  /** The epoch of the current leadership: 0 on a single broker, from the cluster's metadata otherwise. */
  leaderEpoch = 0;
  role: ReplicaRole = 'leader';
  /** In a cluster, while this broker leads: its followers' progress and the ISR. */
  replication: LeaderState | null = null;
  /** Idempotent batches refused before their append, whose producers' next batches follow a gap. */
  readonly refusedBatches = new RefusedBatches();
  private readonly waiters = new Set<() => void>();

  constructor(topic: string, index: number, log: PartitionLog) {
    this.topic = topic;
    this.index = index;
    this.log = log;
  }

  onNewData(waiter: () => void): () => void {
    this.waiters.add(waiter);
    return () => this.waiters.delete(waiter);
  }

  notifyNewData(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
