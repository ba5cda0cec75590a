import type { BrokerState } from './handler.ts';

/**
 * Time and size retention for topics whose cleanup.policy includes "delete", checked every
 * log.retention.check.interval.ms. Returns a function that stops it.
 */
export function startRetention(state: BrokerState, intervalMs: number): () => void {
  let timer: NodeJS.Timeout;
  let stopped = false;
  const pass = async () => {
    for (const topic of state.topics.list()) {
      const record = topic.record;
      if (!state.topics.topicConfig(record, 'cleanup.policy').split(',').map((p) => p.trim()).includes('delete')) continue;
      const retentionMs = Number(state.topics.topicConfig(record, 'retention.ms'));
      const retentionBytes = Number(state.topics.topicConfig(record, 'retention.bytes'));
      for (const partition of topic.partitions) {
        if (stopped) return;
        const deleted = await partition.log.applyRetention(state.now(), retentionMs, retentionBytes);
        if (deleted > 0) state.log.info(`retention deleted ${deleted} segment(s) of ${record.name}-${partition.index}; log start offset now ${partition.log.logStartOffset}`);
      }
    }
  };
  const schedule = () => {
    timer = setTimeout(() => {
      pass().then(schedule, (err: Error) => {
        state.log.error(`retention failed: ${err.message}`);
        schedule();
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
