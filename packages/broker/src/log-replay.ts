import { BatchField, LOG_OVERHEAD } from '@millrace/protocol';
import type { PartitionLog } from '@millrace/storage';

/**
 * Visits every durable batch of a log from its start, in order: how the internal topics
 * (`__consumer_offsets`, `__transaction_state`) are read back at start-up, or when a broker of a
 * cluster comes to lead one of their partitions. Steps by each batch's own
 * last offset, not its last record's: compaction may have removed records at a batch's end.
 */
export async function forEachBatch(log: PartitionLog, visit: (batch: Buffer) => void): Promise<void> {
  let offset = log.logStartOffset;
  // To the durable end, past the high watermark: a new leader of an internal partition takes over
  // everything its log holds, which the ISR is about to hold too.
  while (offset < log.durableEndOffset) {
    const bytes = await log.read(offset, 1 << 20, true, log.durableEndOffset);
    for (let at = 0; at < bytes.length; ) {
      const size = bytes.readInt32BE(at + BatchField.BATCH_LENGTH) + LOG_OVERHEAD;
      offset = Number(bytes.readBigInt64BE(at)) + bytes.readInt32BE(at + BatchField.LAST_OFFSET_DELTA) + 1;
      visit(bytes.subarray(at, at + size));
      at += size;
    }
  }
}
