import type { Message, Producer } from '@millrace/client';
import type { OutputRecord, RecordCollector } from '../engine/records.ts';
import { StreamsError } from '../errors.ts';

/**
 * Collects what tasks write while they process, and hands it to the producer topic by topic after
 * each step (the order of each partition kept). A failed send is kept and thrown at the next
 * flush, so a commit never covers records that were not written.
 */
export class ProducerCollector implements RecordCollector {
  private readonly producer: Producer;
  private readonly counts: ReadonlyMap<string, number>;
  private pending: OutputRecord[] = [];
  private failure: Error | null = null;
  /** Records handed to the producer since the last flush. */
  sent = 0;

  constructor(producer: Producer, counts: ReadonlyMap<string, number>) {
    this.producer = producer;
    this.counts = counts;
  }

  send(record: OutputRecord): void {
    this.pending.push(record);
  }

  partitionCount(topic: string): number {
    const count = this.counts.get(topic);
    if (count === undefined) throw new StreamsError('INVALID_TOPOLOGY', `a stream partitioner writes to "${topic}", whose partition count is unknown: create the topic before starting the application`);
    return count;
  }

  /** Hands the collected records to the producer. */
  drain(): void {
    if (this.pending.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const r of this.pending) {
      let messages = byTopic.get(r.topic);
      if (!messages) byTopic.set(r.topic, (messages = []));
      // As a list: repeated keys and null values pass through as they came.
      messages.push({ key: r.key, value: r.value, headers: r.headers, partition: r.partition, timestamp: r.timestamp });
    }
    this.sent += this.pending.length;
    this.pending = [];
    for (const [topic, messages] of byTopic) {
      this.producer.send(topic, messages).catch((err: Error) => {
        this.failure ??= new StreamsError('PRODUCE', `writing to ${topic} failed: ${err.message}`, { cause: err });
      });
    }
  }

  /** Waits until everything handed over is acknowledged; throws the first failure. */
  async flush(): Promise<void> {
    this.drain();
    await this.producer.flush();
    // Send callbacks run after flush resolves their batches: let them record a failure first.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.failure) throw this.failure;
    this.sent = 0;
  }

  /** Forgets records not handed over (an aborted transaction's). */
  discard(): void {
    this.pending = [];
    this.failure = null;
    this.sent = 0;
  }
}
