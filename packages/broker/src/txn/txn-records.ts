import { Reader, Writer } from '@millrace/protocol';

/**
 * Records of the internal `__transaction_state` topic in Kafka's layout: key version 0 (the
 * transactional id) and value version 0 (producer id and epoch, timeout, state, the partitions in
 * the transaction, last update and start times). A null value deletes the transactional id.
 */
export const TxnStatus = {
  EMPTY: 0,
  ONGOING: 1,
  PREPARE_COMMIT: 2,
  PREPARE_ABORT: 3,
  COMPLETE_COMMIT: 4,
  COMPLETE_ABORT: 5,
  DEAD: 6,
} as const;
export type TxnStatusCode = (typeof TxnStatus)[keyof typeof TxnStatus];

/** Names as DescribeTransactions and ListTransactions report them. */
export const TXN_STATUS_NAMES: Record<TxnStatusCode, string> = {
  0: 'Empty',
  1: 'Ongoing',
  2: 'PrepareCommit',
  3: 'PrepareAbort',
  4: 'CompleteCommit',
  5: 'CompleteAbort',
  6: 'Dead',
};

export interface TxnMetadata {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  status: TxnStatusCode;
  /** "topic\0partition" of every partition in the transaction. */
  partitions: Set<string>;
  lastUpdateMs: number;
  /** When the transaction began (its first AddPartitions), or -1 when none is open. */
  startMs: number;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function splitPartitionKey(key: string): { topic: string; partition: number } {
  const [topic, partition] = key.split('\u0000');
  return { topic, partition: Number(partition) };
}

export function encodeTxnKey(transactionalId: string): Buffer {
  const w = new Writer(32);
  w.int16(0);
  w.string(transactionalId);
  return Buffer.from(w.finish());
}

export function decodeTxnKey(bytes: Buffer): string | null {
  const r = new Reader(bytes);
  if (r.int16() !== 0) return null;
  const id = r.string();
  r.complete('transaction log key');
  return id;
}

export function encodeTxnValue(m: TxnMetadata): Buffer {
  const byTopic = new Map<string, number[]>();
  for (const key of m.partitions) {
    const { topic, partition } = splitPartitionKey(key);
    if (!byTopic.has(topic)) byTopic.set(topic, []);
    byTopic.get(topic)!.push(partition);
  }
  const w = new Writer(64);
  w.int16(0);
  w.int64(BigInt(m.producerId));
  w.int16(m.producerEpoch);
  w.int32(m.timeoutMs);
  w.int8(m.status);
  w.int32(byTopic.size);
  for (const [topic, partitions] of byTopic) {
    w.string(topic);
    w.int32(partitions.length);
    for (const p of partitions) w.int32(p);
  }
  w.int64(BigInt(m.lastUpdateMs));
  w.int64(BigInt(m.startMs));
  return Buffer.from(w.finish());
}

export function decodeTxnValue(transactionalId: string, bytes: Buffer): TxnMetadata {
  const r = new Reader(bytes);
  const version = r.int16();
  if (version !== 0) throw new Error(`transaction log value version ${version} is unknown`);
  const producerId = Number(r.int64());
  const producerEpoch = r.int16();
  const timeoutMs = r.int32();
  const status = r.int8() as TxnStatusCode;
  const partitions = new Set<string>();
  const topics = r.int32();
  for (let t = 0; t < topics && !r.failed; t++) {
    const topic = r.string();
    const count = r.int32();
    for (let p = 0; p < count && !r.failed; p++) partitions.add(partitionKey(topic, r.int32()));
  }
  const lastUpdateMs = Number(r.int64());
  const startMs = Number(r.int64());
  r.complete('transaction log value');
  return { transactionalId, producerId, producerEpoch, timeoutMs, status, partitions, lastUpdateMs, startMs };
}
