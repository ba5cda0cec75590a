/** What the leader knows when a consumer in a rack fetches (KIP-392). */
export interface ReadReplicaChoice {
  leaderId: number;
  /** The rack the consumer named (client.rack); empty when it named none. */
  clientRack: string;
  /** The partition's in-sync replicas, the leader among them. */
  isr: readonly number[];
  /** Each live broker's rack (null when it has none); undefined for one not alive. */
  rackOf(brokerId: number): string | null | undefined;
  /** How far a follower's log reaches, as its last fetch told the leader. */
  followerEndOffset(brokerId: number): number | undefined;
  fetchOffset: number;
}

/**
 * Kafka's RackAwareReplicaSelector: the replica a consumer should read from, when it is not the
 * leader. Only an in-sync follower in the consumer's rack whose log reaches the offset asked for
 * qualifies; the one furthest along wins. Null means the leader: the consumer named no rack, the
 * leader is in its rack, or no follower there qualifies.
 */
export function preferredReadReplica(c: ReadReplicaChoice): number | null {
  if (c.clientRack === '' || c.rackOf(c.leaderId) === c.clientRack) return null;
  let best: number | null = null;
  let bestEnd = -1;
  for (const id of c.isr) {
    if (id === c.leaderId || c.rackOf(id) !== c.clientRack) continue;
    const end = c.followerEndOffset(id);
    if (end === undefined || end < c.fetchOffset) continue;
    if (end > bestEnd) {
      best = id;
      bestEnd = end;
    }
  }
  return best;
}
