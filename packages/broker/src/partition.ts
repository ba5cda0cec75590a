import type { PartitionLog } from '@millrace/storage';

/**
 * One partition this broker leads: its log plus the fetch requests waiting for new data.
 * Waiters are woken after a flush moves the high watermark (consumers only see durable data).
 */
export class Partition {
  readonly topic: string;
  readonly index: number;
  readonly log: PartitionLog;
  /** Single broker: the epoch starts at 0 and changes only when leadership would (a later, clustered issue). */
  leaderEpoch = 0;
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
