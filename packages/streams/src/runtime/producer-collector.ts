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
  /** The topics whose ends `written()` reports: the changelogs, which persistent stores commit with. */
  private readonly changelogs: ReadonlySet<string>;
  private pending: OutputRecord[] = [];
  private failure: Error | null = null;
  /** Records handed to the producer since the last flush. */
  sent = 0;
  /** Where each changelog partition written since the last `written()` ends, as its acknowledgements said ("topic\0partition" → next offset). */
  private ends = new Map<string, number>();
  /**
   * Bumped by `discard`: the sends of an aborted transaction fail after it (the producer fails what
   * it had not sent yet), and those failures belong to the transaction given up, not to the next.
   */
  private generation = 0;

  constructor(producer: Producer, counts: ReadonlyMap<string, number>, changelogs: ReadonlySet<string>) {
    this.producer = producer;
    this.counts = counts;
    this.changelogs = changelogs;
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
    const generation = this.generation;
    for (const [topic, messages] of byTopic) {
      this.producer.send(topic, messages).then((written) => {
        // Output and repartition records need no bookkeeping: only a changelog's end is asked for.
        if (!this.changelogs.has(topic) || generation !== this.generation) return;
        for (const { partition, offset } of written) {
          const id = `${topic}\u0000${partition}`;
          this.ends.set(id, Math.max(this.ends.get(id) ?? 0, offset + 1));
        }
      }, (err: Error) => {
        if (generation === this.generation) this.failure ??= new StreamsError('PRODUCE', `writing to ${topic} failed: ${err.message}`, { cause: err });
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

  /** Where the changelog partitions written since the last call end (after a flush: every record written is counted). */
  written(): ReadonlyMap<string, number> {
    const ends = this.ends;
    this.ends = new Map();
    return ends;
  }

  /** Forgets an aborted transaction's records: those not handed over, and how those handed over end. */
  discard(): void {
    this.generation++;
    this.pending = [];
    this.failure = null;
    this.sent = 0;
    this.ends = new Map();
  }
}
