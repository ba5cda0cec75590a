import { Admin, Consumer, type ClusterOptions } from '@millrace/client';
import type { Task } from '../engine/task.ts';
import type { Topology } from '../topology/topology.ts';
import { readUntil } from './read-to-end.ts';

interface Changelog {
  task: Task;
  store: string;
  topic: string;
  partition: number;
  end: number;
}

/**
 * Rebuilds new tasks' stores from their changelog partitions, from the start to the end offset
 * measured first (under exactly-once, the last stable offset: only committed changes). A task
 * processes nothing before this returns.
 */
export async function restoreTasks(tasks: Task[], topology: Topology, cluster: ClusterOptions, readCommitted: boolean): Promise<void> {
  const changelogs: Changelog[] = [];
  const admin = new Admin(cluster);
  try {
    for (const task of tasks) {
      for (const store of task.stores.keys()) {
        if (!topology.stores.get(store)!.logged) continue;
        const topic = `${task.applicationId}-${store}-changelog`;
        const ends = await admin.listOffsets(topic, 'latest', { isolation: readCommitted ? 'read_committed' : 'read_uncommitted' });
        const end = ends.find((o) => o.partition === task.partition)?.offset ?? 0;
        if (end > 0) changelogs.push({ task, store, topic, partition: task.partition, end });
      }
    }
  } finally {
    await admin.close();
  }
  if (changelogs.length === 0) return;
  const consumer = new Consumer({ ...cluster, autoCommit: false, isolation: readCommitted ? 'read_committed' : 'read_uncommitted', autoOffsetReset: 'earliest' });
  const byPartition = new Map(changelogs.map((c) => [`${c.topic}\u0000${c.partition}`, c]));
  try {
    consumer.assign(changelogs.map((c) => ({ topic: c.topic, partition: c.partition, offset: 0 })));
    const reached = (c: Changelog) => (consumer.position(c) ?? 0) >= c.end;
    await readUntil(consumer, (batch) => {
      const changelog = byPartition.get(`${batch.topic}\u0000${batch.partition}`)!;
      const store = changelog.task.stores.get(changelog.store)!;
      for (const record of batch.records) {
        if (record.offset >= changelog.end) break;
        if (record.key !== null) store.restore(record.key, record.value);
      }
      if (reached(changelog)) consumer.pause([batch]);
    }, () => changelogs.every(reached));
  } finally {
    await consumer.close();
  }
}
