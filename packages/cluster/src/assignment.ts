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
