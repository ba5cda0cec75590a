/**
 * Kafka's replica assignment for a new topic: partition leaders go round the brokers from a random
 * start, and each partition's followers follow its leader at a shift that grows every time the
 * partitions have gone once round, so that a broker's followers are spread over the others.
 * `brokers` must be sorted; `random` gives integers below its argument.
 */
export function assignReplicas(brokers: number[], partitions: number, replicationFactor: number, random: (below: number) => number): number[][] {
  const n = brokers.length;
  if (replicationFactor > n) throw new RangeError(`replication factor ${replicationFactor} is larger than the ${n} available brokers`);
  const start = random(n);
  let shift = random(n);
  const out: number[][] = [];
  for (let p = 0; p < partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = (p + start) % n;
    const replicas = [brokers[first]];
    for (let j = 0; j < replicationFactor - 1; j++) replicas.push(brokers[(first + 1 + ((shift + j) % (n - 1))) % n]);
    out.push(replicas);
  }
  return out;
}

/** Brokers ordered one per rack in turn (racks by name, brokers by id), so that neighbours are on different racks. */
function rackAlternated(racks: Map<number, string>): number[] {
  const byRack = new Map<string, number[]>();
  for (const [broker, rack] of [...racks].sort((a, b) => a[0] - b[0])) byRack.set(rack, [...(byRack.get(rack) ?? []), broker]);
  const names = [...byRack.keys()].sort();
  const out: number[] = [];
  for (let i = 0; out.length < racks.size; i++) for (const name of names) if (byRack.get(name)![i] !== undefined) out.push(byRack.get(name)![i]);
  return out;
}

/**
 * Kafka's rack-aware assignment: as assignReplicas, over the brokers ordered rack by rack in turn,
 * and a follower is taken only from a rack (and a broker) the partition has no replica on yet,
 * unless every rack (every broker) already has one. So a partition survives the loss of a rack
 * whenever there are at least as many racks as replicas.
 */
export function assignReplicasRackAware(racks: Map<number, string>, partitions: number, replicationFactor: number, random: (below: number) => number): number[][] {
  const brokers = rackAlternated(racks);
  const n = brokers.length;
  if (replicationFactor > n) throw new RangeError(`replication factor ${replicationFactor} is larger than the ${n} available brokers`);
  const rackCount = new Set(racks.values()).size;
  const start = random(n);
  let shift = random(n);
  const out: number[][] = [];
  for (let p = 0; p < partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const first = (p + start) % n;
    const replicas = [brokers[first]];
    const usedRacks = new Set([racks.get(brokers[first])]);
    for (let k = 0; replicas.length < replicationFactor; k++) {
      const broker = brokers[(first + 1 + ((shift * rackCount + k) % (n - 1))) % n];
      const rack = racks.get(broker);
      if ((!usedRacks.has(rack) || usedRacks.size === rackCount) && !replicas.includes(broker)) {
        replicas.push(broker);
        usedRacks.add(rack);
      }
    }
    out.push(replicas);
  }
  return out;
}
