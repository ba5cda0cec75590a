import type { ConsumedBatch, Consumer } from '@millrace/client';

/**
 * Hands each fetched batch to `onBatch` until `done()` holds. Empty batches come too (a fetch of
 * only transaction markers moves the position), and `done()` is asked before the next batch is
 * requested: asking for it may already move the position past records not yet handed over.
 */
export async function readUntil(consumer: Consumer, onBatch: (batch: ConsumedBatch) => void, done: () => boolean): Promise<void> {
  if (done()) return;
  for await (const batch of consumer.batches({ includeEmpty: true })) {
    onBatch(batch);
    if (done()) return;
  }
}
