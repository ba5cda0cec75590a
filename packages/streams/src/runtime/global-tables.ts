import { Admin, type ClusterOptions, type ConsumedBatch, Consumer } from '@millrace/client';
import { Task } from '../engine/task.ts';
import { StreamsError } from '../errors.ts';
import type { StateStore } from '../stores/state-store.ts';
import type { Topology } from '../topology/topology.ts';
import { readUntil } from './read-to-end.ts';

/**
 * The instance's global tables: one consumer reads every partition of their topics from the
 * start (no group, no commits: the stores are in memory), first to the end offsets measured at
 * start, before any task processes, then on as the topics change.
 */
export class GlobalTables {
  readonly stores = new Map<string, StateStore>();
  private readonly tasks = new Map<string, Task>();
  private readonly cluster: ClusterOptions;
  private readonly readCommitted: boolean;
  private consumer: Consumer | null = null;
  private loop: Promise<void> | null = null;

  constructor(topology: Topology, applicationId: string, cluster: ClusterOptions, readCommitted: boolean, log: (message: string) => void) {
    this.cluster = cluster;
    this.readCommitted = readCommitted;
    for (const g of topology.globals) {
      const task = new Task(topology, g, 0, {
        applicationId,
        collector: { send: () => { throw new StreamsError('INVALID_TOPOLOGY', 'a global table writes nothing'); }, partitionCount: () => 0 },
        wallClock: () => Date.now(),
        onDeserializationError: 'fail',
        onProcessingError: 'fail',
        log,
        caughtUp: () => true,
      });
      this.tasks.set(g.topic, task);
      for (const [name, store] of task.stores) this.stores.set(name, store);
    }
  }

  /** Reads the global topics to their current end; then keeps them current until `close`. `onError` hears a failure after that. */
  async start(onError: (err: Error) => void): Promise<void> {
    if (this.tasks.size === 0) return;
    const admin = new Admin(this.cluster);
    const ends = new Map<string, number>();
    try {
      for (const topic of this.tasks.keys()) {
        for (const o of await admin.listOffsets(topic, 'latest', { isolation: this.readCommitted ? 'read_committed' : 'read_uncommitted' })) ends.set(`${topic}\u0000${o.partition}`, o.offset);
      }
    } finally {
      await admin.close();
    }
    this.consumer = new Consumer({ ...this.cluster, autoCommit: false, isolation: this.readCommitted ? 'read_committed' : 'read_uncommitted' });
    const behind = new Set([...ends].filter(([, end]) => end > 0).map(([id]) => id));
    let bootstrapped!: () => void;
    const ready = new Promise<void>((resolve) => (bootstrapped = resolve));
    this.consumer.assign([...ends.keys()].map((id) => {
      const [topic, partition] = id.split('\u0000');
      return { topic, partition: Number(partition), offset: 0 };
    }));
    const caughtUp = () => [...behind].every((id) => {
      const [topic, partition] = id.split('\u0000');
      return (this.consumer!.position({ topic, partition: Number(partition) }) ?? 0) >= ends.get(id)!;
    });
    const apply = (batch: ConsumedBatch) => {
      const task = this.tasks.get(batch.topic)!;
      task.addRecords(batch.records.map((r) => ({ topic: batch.topic, partition: batch.partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers })));
      while (task.process());
    };
    // To the end offsets first, then on until closed.
    let started = false;
    this.loop = readUntil(this.consumer, apply, () => {
      if (!started && caughtUp()) {
        started = true;
        bootstrapped();
      }
      return false;
    });
    this.loop.catch((err: Error) => onError(err));
    await Promise.race([ready, this.loop]);
  }

  async close(): Promise<void> {
    await this.consumer?.close();
    await this.loop?.catch(() => undefined);
    for (const task of this.tasks.values()) task.close();
  }
}
