// Opening a partition's log from its directory after a clean shutdown or a crash.
import { join } from 'node:path';
import { Attribute, readBatchHeader } from '@millrace/protocol';
import { scanBatches } from './batch-scan.ts';
import { readOffsetCheckpoint } from './checkpoint-file.ts';
import { finishInterruptedCompaction, LOG_START_OFFSET_FILE, RECOVERY_POINT_FILE } from './log-files.ts';
import { LeaderEpochCache } from './leader-epochs.ts';
import type { LogOptions } from './partition-log.ts';
import { readProducerSnapshot } from './producer-snapshots.ts';
import { ProducerState } from './producer-state.ts';
import { Segment, segmentFileName } from './segment.ts';
import { CorruptLogError } from './storage-error.ts';
import { decodeTxnMarker } from './txn-marker.ts';

/** What a log directory holds, as recovery found it. */
export interface RecoveredLog {
  segments: Segment[];
  startOffset: number;
  recoveryPoint: number;
  producers: ProducerState;
  leaderEpochs: LeaderEpochCache;
}

/**
 * Reads a log directory: finishes or discards an interrupted compaction, opens the segments wholly
 * below the recovery point (all of them after a clean shutdown) from their index files, walks and
 * validates the rest (cutting a torn tail), and rebuilds the producer state and leader epochs.
 * Throws CorruptLogError for damage that must not be cut.
 */
export async function recoverLog(options: LogOptions): Promise<RecoveredLog> {
  const { fs, dir } = options;
  await fs.mkdirp(dir);
  await finishInterruptedCompaction(fs, dir);
  const bases = (await fs.readdir(dir))
    .filter((f) => /^\d{20}\.log$/.test(f))
    .map((f) => Number(f.slice(0, 20)))
    .sort((a, b) => a - b);
  const recoveryPoint = (await readOffsetCheckpoint(fs, join(dir, RECOVERY_POINT_FILE))) ?? 0;
  const clean = options.cleanShutdown === true;
  // Producer state: the newest snapshot, then every idempotent batch after it, in log order.
  const snapshot = await readProducerSnapshot(fs, dir);
  const producers = snapshot?.state ?? new ProducerState();
  const replayFrom = snapshot?.offset ?? 0;
  const stored = await LeaderEpochCache.load(fs, dir);
  let epochs = stored ?? LeaderEpochCache.empty(fs, dir);
  const replay = (buf: Buffer, at: number) => {
    const header = readBatchHeader(buf, at);
    // A crash between the two writes of a flush can leave batches durable whose epoch the
    // checkpoint lacks; every batch past the recovery point is walked here, so none is missed.
    epochs.assign(header.partitionLeaderEpoch, header.baseOffset);
    if (header.producerId < 0n || header.baseOffset < replayFrom) return;
    const marker = (header.attributes & Attribute.CONTROL) !== 0 ? decodeTxnMarker(buf.subarray(at, at + header.size)) : null;
    if (marker) producers.endTransaction(Number(header.producerId), header.producerEpoch, header.baseOffset, marker.committed, header.maxTimestamp);
    else producers.update(header, header.baseOffset);
  };
  const segments: Segment[] = [];
  for (let i = 0; i < bases.length; i++) {
    const isLast = i === bases.length - 1;
    const next = isLast ? null : bases[i + 1];
    const trusted = clean || (next !== null && next <= recoveryPoint);
    const loaded = trusted ? await Segment.load(fs, dir, bases[i], next) : null;
    if (loaded) {
      if (loaded.nextOffset > replayFrom) await scanBatches(fs, loaded.fd, loaded.positionAtOrBefore(replayFrom), loaded.written, (buf, at) => (replay(buf, at), true));
      segments.push(loaded);
      continue;
    }
    const rules = { indexIntervalBytes: options.config.indexIntervalBytes, recoveryPoint, isLast, allDurable: clean, onBatch: replay };
    const { segment, truncatedBytes } = await Segment.recover(fs, dir, bases[i], rules);
    if (truncatedBytes > 0) options.onRecovery?.(`${join(dir, segmentFileName(bases[i], '.log'))}: cut ${truncatedBytes} bytes of torn tail`);
    segments.push(segment);
  }
  if (segments.length === 0) segments.push(Segment.fresh(dir, 0));
  const end = segments[segments.length - 1].nextOffset;
  if (bases.length === 0 && recoveryPoint > 0) throw new CorruptLogError(`${dir}: no segment files, but offsets below ${recoveryPoint} were durable (recovery point): data is missing`);
  if (replayFrom > end) throw new CorruptLogError(`${dir}: the producer state snapshot is at offset ${replayFrom}, past the log end ${end}: data is missing`);
  const storedStart = await readOffsetCheckpoint(fs, join(dir, LOG_START_OFFSET_FILE));
  const startOffset = Math.max(storedStart ?? 0, segments[0].baseOffset);
  if (!stored) epochs = await LeaderEpochCache.fromSegments(fs, dir, segments);
  // Epochs recorded past the end belong to a tail that a crash cut; one starting at the end is a
  // leader's epoch with nothing appended in it yet, and stays.
  epochs.truncateFromEnd(end + 1);
  epochs.truncateFromStart(Math.min(startOffset, end));
  await epochs.persist();
  return { segments, startOffset: Math.min(startOffset, end), recoveryPoint: Math.min(recoveryPoint, end), producers, leaderEpochs: epochs };
}
