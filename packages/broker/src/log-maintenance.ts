import type { BrokerState } from './handler.ts';
import type { Partition } from './partition.ts';
import type { Topic } from './topic-manager.ts';

/**
 * Runs `task` on every partition whose log is online, every `intervalMs`, one partition at a time.
 * A failure is logged for that partition and the pass goes on, so one bad log never stops the
 * maintenance of the others. Returns a function that stops it.
 */
export function everyPartition(state: BrokerState, name: string, intervalMs: number, task: (topic: Topic, partition: Partition) => Promise<void>): () => void {
  let stopped = false;
  const pass = async () => {
    for (const topic of state.topics.list()) {
      for (const partition of topic.partitions) {
        if (stopped) return;
        if (partition.log.offlineReason) continue;
        try {
          await task(topic, partition);
        } catch (err) {
          state.log.error(`${name} of ${topic.record.name}-${partition.index} failed: ${(err as Error).message}`);
        }
      }
    }
  };
  const stop = every(intervalMs, pass, (err) => state.log.error(`${name} failed: ${err.message}`));
  return () => {
    stopped = true;
    stop();
  };
}

/** Runs `task` every `intervalMs` (each run after the previous one ended); returns a function that stops it. */
export function every(intervalMs: number, task: () => Promise<unknown>, onError: (err: Error) => void): () => void {
  let timer: NodeJS.Timeout;
  let stopped = false;
  const schedule = () => {
    timer = setTimeout(() => {
      void task().catch(onError).then(() => {
        if (!stopped) schedule();
      });
    }, intervalMs);
    timer.unref();
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Time and size retention for topics whose cleanup.policy includes "delete", every log.retention.check.interval.ms. */
export function startRetention(state: BrokerState, intervalMs: number): () => void {
  return everyPartition(state, 'retention', intervalMs, async (topic, partition) => {
    const record = topic.record;
    if (!cleanupPolicies(state, topic).includes('delete')) return;
    const retentionMs = Number(state.topics.topicConfig(record, 'retention.ms'));
    const retentionBytes = Number(state.topics.topicConfig(record, 'retention.bytes'));
    const deleted = await partition.log.applyRetention(state.now(), retentionMs, retentionBytes);
    if (deleted > 0) state.log.info(`retention deleted ${deleted} segment(s) of ${record.name}-${partition.index}; log start offset now ${partition.log.logStartOffset}`);
  });
}

/**
 * Moves each log's recovery point to its high watermark every log.flush.offset.checkpoint.interval.ms,
 * which bounds what a restart after a crash has to walk (sealed segments move it on their own).
 */
export function startRecoveryPointCheckpoints(state: BrokerState, intervalMs: number): () => void {
  return everyPartition(state, 'recovery point checkpoint', intervalMs, (_topic, partition) => partition.log.checkpointRecoveryPoint());
}

/**
 * The log cleaner: compacts topics whose cleanup.policy includes "compact", a partition at a time,
 * every log.cleaner.backoff.ms. Each pass works in bounded steps (see compaction.ts), so produce and
 * fetch are served while it runs.
 */
export function startLogCleaner(state: BrokerState, intervalMs: number): () => void {
  return everyPartition(state, 'compaction', intervalMs, async (topic, partition) => {
    if (!cleanupPolicies(state, topic).includes('compact')) return;
    const setting = (key: string) => Number(state.topics.topicConfig(topic.record, key));
    const stats = await partition.log.compact(state.now(), {
      minCompactionLagMs: setting('min.compaction.lag.ms'),
      maxCompactionLagMs: setting('max.compaction.lag.ms'),
      deleteRetentionMs: setting('delete.retention.ms'),
      minCleanableDirtyRatio: setting('min.cleanable.dirty.ratio'),
    });
    if (stats) {
      state.log.info(`compacted ${topic.record.name}-${partition.index}: ${stats.segmentsBefore} segment(s) of ${stats.bytesBefore} bytes into ${stats.segmentsAfter} of ${stats.bytesAfter}, ${stats.recordsRemoved} record(s) removed`);
    }
  });
}

/** Forgets idempotent producers silent for producer.id.expiration.ms, checked every producer.id.expiration.check.interval.ms. */
export function startProducerExpiration(state: BrokerState, intervalMs: number, expirationMs: number): () => void {
  return everyPartition(state, 'producer expiration', intervalMs, async (_topic, partition) => {
    partition.log.expireProducers(state.now(), expirationMs);
  });
}

export function cleanupPolicies(state: BrokerState, topic: Topic): string[] {
  return state.topics.topicConfig(topic.record, 'cleanup.policy').split(',').map((p) => p.trim());
}
