export type SourceOffset = Record<string, unknown>;

/**
 * Where a worker keeps source offsets: a local file (standalone) or the offsets topic
 * (distributed), keyed as Kafka Connect keys them (`offsetKey`).
 */
export interface OffsetStore {
  get(connector: string, partition: Record<string, unknown>): SourceOffset | null;
  /** Stores offsets (the latest per source partition; null forgets the partition's); durable once the promise settles. */
  write(connector: string, offsets: Iterable<[Record<string, unknown>, SourceOffset | null]>): Promise<void>;
  /** Every source partition of the connector with its offset. */
  partitionOffsets(connector: string): [Record<string, unknown>, SourceOffset][];
}

/** The entries of `connector` among offsets keyed by `offsetKey`. */
export function connectorEntries(offsets: Map<string, SourceOffset>, connector: string): [Record<string, unknown>, SourceOffset][] {
  const entries: [Record<string, unknown>, SourceOffset][] = [];
  for (const [key, offset] of offsets) {
    const [name, partition] = JSON.parse(key) as [string, Record<string, unknown>];
    if (name === connector) entries.push([partition, offset]);
  }
  return entries;
}

/** Kafka's offsets topic key: the connector's name and the source partition, as a JSON array. */
export function offsetKey(connector: string, partition: Record<string, unknown>): string {
  return JSON.stringify([connector, partition]);
}
