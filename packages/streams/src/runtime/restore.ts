import { Admin, Consumer, type ClusterOptions } from '@millrace/client';
import type { Task } from '../engine/task.ts';
import type { StateStore } from '../stores/state-store.ts';
import { readUntil } from './read-to-end.ts';

interface Changelog {
  task: Task;
  store: StateStore;
  topic: string;
  partition: number;
  start: number;
  end: number;
  restored: number;
}

/**
 * Rebuilds new tasks' stores from their changelog partitions, from the start or, for a persistent
 * store, from the offset its committed state reaches, to the high watermark measured first. Under
 * exactly-once only committed changes are read, and a transaction still open below the high
 * watermark (a killed instance's, until the broker aborts it on its timeout) holds the restore
 * back rather than ending it: changes another instance committed after it are part of the state.
 * A task processes nothing before this returns; each store then commits what it restored with the
 * offset it reached.
 */
export async function restoreTasks(tasks: Task[], cluster: ClusterOptions, readCommitted: boolean, log: (message: string) => void): Promise<void> {
  const changelogs: Changelog[] = [];
  const admin = new Admin(cluster);
  try {
    for (const task of tasks) {
      for (const [name, topic] of task.changelogs) {
        const ends = await admin.listOffsets(topic, 'latest', { isolation: 'read_uncommitted' });
        const end = ends.find((o) => o.partition === task.partition)?.offset ?? 0;
        const store = task.stores.get(name)!;
        const start = store.restoreFrom(end);
        if (start < end) changelogs.push({ task, store, topic, partition: task.partition, start, end, restored: 0 });
        else if (start > 0) log(`task ${task.id} found ${name} up to date with ${topic} at offset ${start}`);
      }
    }
  } finally {
    await admin.close();
  }
  if (changelogs.length === 0) return;
  const consumer = new Consumer({ ...cluster, autoCommit: false, isolation: readCommitted ? 'read_committed' : 'read_uncommitted', autoOffsetReset: 'earliest' });
  const byPartition = new Map(changelogs.map((c) => [`${c.topic}\u0000${c.partition}`, c]));
  try {
    consumer.assign(changelogs.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.start })));
    const reached = (c: Changelog) => (consumer.position(c) ?? 0) >= c.end;
    await readUntil(consumer, (batch) => {
      const changelog = byPartition.get(`${batch.topic}\u0000${batch.partition}`)!;
      for (const record of batch.records) {
        if (record.offset >= changelog.end) break;
        if (record.key === null) continue;
        changelog.store.restore(record.key, record.value);
        changelog.restored++;
      }
      if (reached(changelog)) consumer.pause([batch]);
    }, () => changelogs.every(reached));
  } finally {
    await consumer.close();
  }
  for (const c of changelogs) {
    c.store.commit(c.end);
    log(`task ${c.task.id} restored ${c.restored} records of ${c.topic} from offset ${c.start} to ${c.end}`);
  }
}
