/**
 * The partition of an internal topic (`__consumer_offsets`, `__transaction_state`) that holds a
 * group's or transactional id's records: Java's String.hashCode, made non-negative, modulo the
 * partition count, exactly as Kafka chooses it.
 */
export function internalPartitionIndex(key: string, partitionCount: number): number {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(31, h) + key.charCodeAt(i)) | 0;
  return (h & 0x7fffffff) % partitionCount;
}
