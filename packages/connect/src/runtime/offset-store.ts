export type SourceOffset = Record<string, unknown>;

/**
 * Where a worker keeps source offsets: a local file (standalone) or the offsets topic
 * (distributed), keyed as Kafka Connect keys them (`offsetKey`).
 */
export interface OffsetStore {
  get(connector: string, partition: Record<string, unknown>): SourceOffset | null;
  /** Stores offsets (the latest per source partition); durable once the promise settles. */
  write(connector: string, offsets: Iterable<[Record<string, unknown>, SourceOffset]>): Promise<void>;
}

/** Kafka's offsets topic key: the connector's name and the source partition, as a JSON array. */
export function offsetKey(connector: string, partition: Record<string, unknown>): string {
  return JSON.stringify([connector, partition]);
}
