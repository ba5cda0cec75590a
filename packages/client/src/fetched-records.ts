import { Attribute, CURRENT_MAGIC, decodeRecordBatchWithHeader, type KafkaRecord, LOG_OVERHEAD, readBatchHeader, BATCH_HEADER_SIZE } from '@millrace/protocol';
import { ClientError } from './errors.ts';

/** Control records' keys: version int16, then the marker type (0 abort, 1 commit). */
const ABORT_MARKER = 0;

export interface AbortedTransaction {
  producerId: bigint;
  firstOffset: bigint;
}

/** One partition's fetch answer, scanned by batch headers: the batches to hand out, not yet decoded. */
export interface FetchedBatches {
  fetchOffset: number;
  batches: Buffer[];
  /** The offset after the last whole batch read (control and aborted batches included): where the next fetch starts. */
  nextOffset: number;
}

/**
 * Finds, by batch headers alone, the batches of one partition's fetch answer that hold records
 * for the application, and where the next fetch starts, so that it can be sent before these are
 * decoded. A partial batch at the end (the broker cut the answer at its size limit) is left for the
 * next fetch. With read_committed, batches of transactions the broker lists as aborted are skipped
 * (a producer's records are skipped from the aborted transaction's first offset until its abort
 * marker), and control batches never reach the application.
 */
export function scanFetchedBatches(bytes: Buffer | null, fetchOffset: number, aborted: readonly AbortedTransaction[] | null, readCommitted: boolean): FetchedBatches {
  const batches: Buffer[] = [];
  let nextOffset = fetchOffset;
  if (!bytes) return { fetchOffset, batches, nextOffset };
  const pending = readCommitted && aborted ? [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1)) : [];
  const abortedProducers = new Set<bigint>();
  for (let pos = 0; pos + LOG_OVERHEAD <= bytes.length;) {
    const size = LOG_OVERHEAD + bytes.readInt32BE(pos + 8);
    if (pos + size > bytes.length || size < BATCH_HEADER_SIZE) break;
    const header = readBatchHeader(bytes, pos);
    if (header.magic !== CURRENT_MAGIC) throw new ClientError('MILLRACE_UNSUPPORTED', `a batch at offset ${header.baseOffset} uses message format v${header.magic}; this client reads v2 (Kafka 0.11 and later)`);
    const lastOffset = header.baseOffset + header.lastOffsetDelta;
    const batch = bytes.subarray(pos, pos + size);
    pos += size;
    if (lastOffset < fetchOffset) continue;
    nextOffset = lastOffset + 1;
    const transactional = (header.attributes & Attribute.TRANSACTIONAL) !== 0;
    if (readCommitted) while (pending.length > 0 && Number(pending[0].firstOffset) <= lastOffset) abortedProducers.add(pending.shift()!.producerId);
    if ((header.attributes & Attribute.CONTROL) !== 0) {
      if (readCommitted && transactional && controlType(batch) === ABORT_MARKER) abortedProducers.delete(header.producerId);
      continue;
    }
    if (readCommitted && transactional && abortedProducers.has(header.producerId)) continue;
    batches.push(batch);
  }
  return { fetchOffset, batches, nextOffset };
}

/** The records of scanned batches from the fetch offset on, each batch CRC-checked as it is decoded. */
export function decodeFetchedBatches(fetched: FetchedBatches): KafkaRecord[] {
  const records: KafkaRecord[] = [];
  for (const batch of fetched.batches) {
    for (const record of decodeRecordBatchWithHeader(batch).records) if (record.offset >= fetched.fetchOffset) records.push(record);
  }
  return records;
}

function controlType(batch: Buffer): number {
  const key = decodeRecordBatchWithHeader(batch).records[0]?.key;
  return key && key.length >= 4 ? key.readInt16BE(2) : -1;
}
