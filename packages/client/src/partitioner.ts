/**
 * Which partition a record goes to, as the Java client chooses it: a keyed record by the murmur2
 * hash of its key (so Java, librdkafka's murmur2_random and this client agree), a keyless one to a
 * "sticky" partition that changes only when its batch is sent, so keyless records fill batches.
 */

/** Java's Utils.murmur2: a 32-bit signed result. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  switch (length & 3) {
    case 3:
      h ^= data[whole + 2] << 16;
    // falls through
    case 2:
      h ^= data[whole + 1] << 8;
    // falls through
    case 1:
      h ^= data[whole];
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a keyed record: the positive hash modulo the partition count. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}

/** Keyless records: one partition per topic until `batchSent` for it, then another one at random. */
export class StickyPartitioner {
  private readonly current = new Map<string, number>();

  partition(topic: string, partitionCount: number): number {
    let chosen = this.current.get(topic);
    if (chosen === undefined || chosen >= partitionCount) {
      chosen = Math.floor(Math.random() * partitionCount);
      this.current.set(topic, chosen);
    }
    return chosen;
  }

  /** A batch of `topic`'s sticky partition was closed: the next keyless records go elsewhere. */
  batchSent(topic: string, partition: number, partitionCount: number): void {
    if (this.current.get(topic) !== partition || partitionCount <= 1) return;
    let next = Math.floor(Math.random() * (partitionCount - 1));
    if (next >= partition) next++;
    this.current.set(topic, next);
  }
}
