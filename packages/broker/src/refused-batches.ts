/** How long a refusal explains the sequence gap of a producer's later batch. */
const REMEMBERED_MS = 10_000;

interface Refusal {
  firstSeq: number;
  errorCode: number;
  at: number;
}

/**
 * The idempotent batches a partition's leader refused before appending them, with a retriable
 * error (NOT_ENOUGH_REPLICAS), by producer. A pipelining producer's next batch then arrives with a
 * gap in its sequence that the refusal made, and if the ISR has recovered meanwhile it would get
 * OUT_OF_ORDER_SEQUENCE_NUMBER, which librdkafka before 2.3 can take as fatal. It gets the same
 * retriable error instead, so the producer sends both again, in order. Nothing is written either way.
 */
export class RefusedBatches {
  private readonly byProducer = new Map<number, Refusal>();

  refused(producerId: number, firstSeq: number, errorCode: number, now: number): void {
    const earlier = this.byProducer.get(producerId);
    // The lowest refused sequence is where the producer's gap begins; refusing it again renews it.
    if (earlier && now - earlier.at < REMEMBERED_MS && earlier.firstSeq < firstSeq) return;
    this.byProducer.set(producerId, { firstSeq, errorCode, at: now });
  }

  /** The error to answer, instead of OUT_OF_ORDER_SEQUENCE_NUMBER, for a batch at `firstSeq` that follows a refused one; null if none does. */
  gapCause(producerId: number, firstSeq: number, now: number): number | null {
    const refusal = this.byProducer.get(producerId);
    if (!refusal) return null;
    if (now - refusal.at >= REMEMBERED_MS) {
      this.byProducer.delete(producerId);
      return null;
    }
    return firstSeq > refusal.firstSeq ? refusal.errorCode : null;
  }

  /** A batch of the producer was appended: its sequence goes on from there, no gap is ours any more. */
  appended(producerId: number): void {
    this.byProducer.delete(producerId);
  }
}
