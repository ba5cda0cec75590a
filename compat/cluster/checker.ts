// Checks a history of sends and reads against a replicated log's guarantees, in the spirit of
// Jepsen's Kafka queue workload (acks=all, idempotent producers; transactions are txn-checker.ts).

/**
 * A send the broker acknowledged at an offset. The offset is null when the client reported the
 * send delivered without one: librdkafka's idempotent producer does so for a batch whose answer was
 * lost once a later batch of the same producer succeeded (it must have been written, but where is
 * not known to it). Such an acknowledgement is checked for presence only.
 */
export interface Ack {
  value: string;
  partition: number;
  offset: number | null;
}

/** A record a consumer read, in the order that consumer read them. */
export interface Read {
  consumer: string;
  value: string;
  partition: number;
  offset: number;
}

export interface Anomalies {
  /** Acknowledged, but not in the final read of the whole log. */
  lost: Ack[];
  /** Acknowledged at one place and found at another. */
  misplaced: { ack: Ack; found: { partition: number; offset: number } }[];
  /** One partition and offset that held two different values (replicas diverged under a reader). */
  inconsistentOffsets: { partition: number; offset: number; values: string[] }[];
  /** A value stored at more than one offset (an idempotent producer's retry written twice). */
  duplicates: { value: string; at: string[] }[];
  /** A value read that no producer sent. */
  unknownReads: Read[];
  /** A consumer whose offsets in a partition went back or repeated without a seek. */
  nonMonotonic: { consumer: string; partition: number; offset: number; after: number }[];
}

export interface CheckResult {
  acknowledged: number;
  read: number;
  anomalies: Anomalies;
  /** True when no anomaly of any kind was found. */
  valid: boolean;
}

/**
 * `acks` are the acknowledged sends, `sent` every value any producer tried (acknowledged or not),
 * `polls` what consumers read while the faults went on, and `final` one complete read of every
 * partition after everything healed.
 */
export function check(acks: Ack[], sent: Set<string>, polls: Read[], final: Read[]): CheckResult {
  const anomalies: Anomalies = { lost: [], misplaced: [], inconsistentOffsets: [], duplicates: [], unknownReads: [], nonMonotonic: [] };
  const finalByValue = new Map<string, Read[]>();
  for (const r of final) finalByValue.set(r.value, [...(finalByValue.get(r.value) ?? []), r]);

  for (const ack of acks) {
    const found = finalByValue.get(ack.value);
    if (!found) anomalies.lost.push(ack);
    else if (ack.offset !== null && !found.some((f) => f.partition === ack.partition && f.offset === ack.offset)) anomalies.misplaced.push({ ack, found: { partition: found[0].partition, offset: found[0].offset } });
  }

  const valuesAt = new Map<string, Set<string>>();
  const note = (partition: number, offset: number, value: string) => {
    const key = `${partition}/${offset}`;
    if (!valuesAt.has(key)) valuesAt.set(key, new Set());
    valuesAt.get(key)!.add(value);
  };
  for (const a of acks) if (a.offset !== null) note(a.partition, a.offset, a.value);
  for (const r of [...polls, ...final]) note(r.partition, r.offset, r.value);
  for (const [key, values] of valuesAt) {
    if (values.size > 1) {
      const [partition, offset] = key.split('/').map(Number);
      anomalies.inconsistentOffsets.push({ partition, offset, values: [...values] });
    }
  }

  for (const [value, found] of finalByValue) {
    const places = [...new Set(found.map((f) => `${f.partition}/${f.offset}`))];
    if (places.length > 1) anomalies.duplicates.push({ value, at: places });
  }

  for (const r of [...polls, ...final]) if (!sent.has(r.value)) anomalies.unknownReads.push(r);

  anomalies.nonMonotonic = nonMonotonicPolls(polls);

  const valid = Object.values(anomalies).every((list) => list.length === 0);
  return { acknowledged: acks.length, read: final.length, anomalies, valid };
}

/** Where a consumer's offsets in a partition went back or repeated (no consumer here seeks). */
export function nonMonotonicPolls(polls: Read[]): Anomalies['nonMonotonic'] {
  const found: Anomalies['nonMonotonic'] = [];
  const last = new Map<string, number>();
  for (const r of polls) {
    const key = `${r.consumer}\u0000${r.partition}`;
    const before = last.get(key);
    if (before !== undefined && r.offset <= before) found.push({ consumer: r.consumer, partition: r.partition, offset: r.offset, after: before });
    last.set(key, r.offset);
  }
  return found;
}

/** A one-line summary of the anomalies found, or "no anomalies". */
export function describe(result: Pick<CheckResult, 'acknowledged' | 'read' | 'anomalies'>): string {
  const found = Object.entries(result.anomalies).filter(([, list]) => list.length > 0);
  if (found.length === 0) return `${result.acknowledged} acknowledged, ${result.read} read back: no anomalies`;
  return found.map(([kind, list]) => `${kind}: ${list.length} (first: ${JSON.stringify(list[0])})`).join('; ');
}
