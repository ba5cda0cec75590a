import type { RecordMetadata } from './producer.ts';

/**
 * One `send` call waiting for its records' acknowledgements: one promise per call rather than per
 * record, which at hundreds of thousands of records a second is most of the producer's garbage.
 */
export class PendingSend {
  readonly promise: Promise<RecordMetadata[]>;
  private readonly topic: string;
  private readonly results: RecordMetadata[];
  private remaining: number;
  private settled = false;
  private resolve!: (results: RecordMetadata[]) => void;
  private reject!: (err: Error) => void;

  constructor(topic: string, records: number) {
    this.topic = topic;
    this.results = new Array<RecordMetadata>(records);
    this.remaining = records;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    if (records === 0) this.settle();
  }

  /** Record `index` of the call was written at `offset` (-1 with acks=0). */
  delivered(index: number, partition: number, offset: number): void {
    this.results[index] = { topic: this.topic, partition, offset };
    if (--this.remaining === 0) this.settle();
  }

  /** A record of the call failed: the call fails with the first such error. */
  failed(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(err);
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(this.results);
  }
}
