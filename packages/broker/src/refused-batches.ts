import { BATCH_HEADER_SIZE, CURRENT_MAGIC, readBatchHeader } from '@millrace/protocol';

/** How long a refusal explains the sequence gap of a producer's later batch. */
const REMEMBERED_MS = 10_000;
/** Past this many producers remembered, the old refusals are swept out. */
const SWEEP_ABOVE = 1_000;

interface Refusal {
  producerEpoch: number;
  firstSeq: number;
  errorCode: number;
  at: number;
}

/** The idempotent producer and sequence of a produce request's batch, or null for another batch. */
function sequenced(records: Buffer | null): { producerId: number; producerEpoch: number; firstSeq: number } | null {
  if (!records || records.length < BATCH_HEADER_SIZE) return null;
  const header = readBatchHeader(records, 0);
  if (header.magic !== CURRENT_MAGIC || header.producerId < 0n || header.baseSequence < 0) return null;
  return { producerId: Number(header.producerId), producerEpoch: header.producerEpoch, firstSeq: header.baseSequence };
}

/**
 * The idempotent batches this broker refused for a partition before appending them, with a
 * retriable error (NOT_ENOUGH_REPLICAS while the ISR is small, NOT_LEADER_OR_FOLLOWER while its
 * view of a leader change lags), by producer. A pipelining producer's next batch then arrives with
 * a gap in its sequence that the refusal made, and once the cause has passed it would get
 * OUT_OF_ORDER_SEQUENCE_NUMBER, which librdkafka before 2.3 can take as fatal. It gets the same
 * retriable error instead, so the producer sends both again, in order. Nothing is written either way.
 */
export class RefusedBatches {
  private readonly byProducer = new Map<number, Refusal>();

  /** `records` were refused with `errorCode` before their append. */
  refused(records: Buffer | null, errorCode: number, now: number): void {
    const batch = sequenced(records);
    if (!batch) return;
    const earlier = this.byProducer.get(batch.producerId);
    // The lowest refused sequence is where the producer's gap begins; refusing it again renews it.
    if (earlier && earlier.producerEpoch === batch.producerEpoch && now - earlier.at < REMEMBERED_MS && earlier.firstSeq < batch.firstSeq) return;
    this.byProducer.set(batch.producerId, { producerEpoch: batch.producerEpoch, firstSeq: batch.firstSeq, errorCode, at: now });
    if (this.byProducer.size > SWEEP_ABOVE) for (const [id, r] of this.byProducer) if (now - r.at >= REMEMBERED_MS) this.byProducer.delete(id);
  }

  /** The error to answer, instead of OUT_OF_ORDER_SEQUENCE_NUMBER, for `records` that follow a refused batch of their producer; null if none. */
  gapCause(records: Buffer | null, now: number): number | null {
    const batch = sequenced(records);
    const refusal = batch && this.byProducer.get(batch.producerId);
    if (!batch || !refusal) return null;
    if (now - refusal.at >= REMEMBERED_MS) {
      this.byProducer.delete(batch.producerId);
      return null;
    }
    return refusal.producerEpoch === batch.producerEpoch && batch.firstSeq > refusal.firstSeq ? refusal.errorCode : null;
  }

  /** A batch of the producer in `records` was appended: its sequence goes on from there, no gap is ours any more. */
  appended(records: Buffer | null): void {
    const batch = sequenced(records);
    if (batch) this.byProducer.delete(batch.producerId);
  }
}
