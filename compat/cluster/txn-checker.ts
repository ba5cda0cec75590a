// Checks a transactional history: transactions of `size` records with values "<txn>-<i>", each
// ended as its producer saw it, read by READ_COMMITTED consumers during the faults and once whole
// afterwards. Nothing of an aborted transaction may be read, and each transaction is in the final
// read whole or not at all (whole when its commit returned).
import type { TxnOutcome } from '../transactions/txn-crash-producer.ts';
import { type Anomalies, nonMonotonicPolls, type Read } from './checker.ts';

export type { TxnOutcome };

export interface TxnAnomalies {
  /** A record of a transaction its producer aborted, read by a READ_COMMITTED consumer. */
  abortedReads: Read[];
  /** A transaction of which the final read holds some records, not all (or some twice). */
  partialTransactions: { txn: number; records: number }[];
  /** A transaction whose commit returned, not whole in the final read. */
  lostTransactions: { txn: number; records: number }[];
  /** A READ_COMMITTED consumer whose offsets in a partition went back or repeated. */
  nonMonotonicTxnReads: Anomalies['nonMonotonic'];
}

const txnOf = (value: string) => Number(value.slice(0, value.indexOf('-')));

export function checkTransactions(outcomes: Map<number, TxnOutcome>, size: number, polls: Read[], final: Read[]): TxnAnomalies {
  const abortedReads = [...polls, ...final].filter((r) => outcomes.get(txnOf(r.value)) === 'aborted');
  const records = new Map<number, number>();
  for (const r of final) records.set(txnOf(r.value), (records.get(txnOf(r.value)) ?? 0) + 1);
  const partialTransactions = [...records].filter(([, n]) => n !== size).map(([txn, n]) => ({ txn, records: n }));
  const lostTransactions = [...outcomes].filter(([txn, outcome]) => outcome === 'committed' && records.get(txn) !== size).map(([txn]) => ({ txn, records: records.get(txn) ?? 0 }));
  return { abortedReads, partialTransactions, lostTransactions, nonMonotonicTxnReads: nonMonotonicPolls(polls) };
}
