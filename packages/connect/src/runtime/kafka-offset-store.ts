import { connectorEntries, offsetKey, type OffsetStore, type SourceOffset } from './offset-store.ts';
import type { LogRecord, TopicLog } from './topic-log.ts';

/**
 * Source offsets of a distributed worker, in `offset.storage.topic`: keyed
 * `["<connector>",{<source partition>}]` with the offset as a JSON object, as Kafka Connect writes
 * them, so a task picks up where it left off on whichever worker it moves to.
 */
export class KafkaOffsetStore implements OffsetStore {
  private readonly offsets = new Map<string, SourceOffset>();
  log: TopicLog | null = null;

  /** Takes in one record of the offsets topic (a tombstone forgets the partition's offset). */
  apply(record: LogRecord): void {
    if (record.key === null) return;
    if (record.value === null) this.offsets.delete(record.key);
    else this.offsets.set(record.key, JSON.parse(record.value) as SourceOffset);
  }

  get(connector: string, partition: Record<string, unknown>): SourceOffset | null {
    return this.offsets.get(offsetKey(connector, partition)) ?? null;
  }

  async write(connector: string, offsets: Iterable<[Record<string, unknown>, SourceOffset | null]>): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const [partition, offset] of offsets) {
      const key = offsetKey(connector, partition);
      if (offset === null) this.offsets.delete(key);
      else this.offsets.set(key, offset);
      writes.push(this.log!.write(key, offset === null ? null : JSON.stringify(offset)));
    }
    await Promise.all(writes);
  }

  partitionOffsets(connector: string): [Record<string, unknown>, SourceOffset][] {
    return connectorEntries(this.offsets, connector);
  }
}
