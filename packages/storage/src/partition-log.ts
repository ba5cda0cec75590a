import { join } from 'node:path';
import { Attribute, BATCH_HEADER_SIZE, BatchField, completeBatchSize, patchBatchForAppend, readBatchHeader } from '@millrace/protocol';
import { scanBatches } from './batch-scan.ts';
import type { Fs } from './fs.ts';
import { readFromSegment } from './log-reader.ts';
import { readOffsetCheckpoint, writeCheckpoint } from './checkpoint-file.ts';
import { buildKeyMap, type CompactionConfig, type CompactionStats, groupSegments, type KeyMap, writeCompactedGroup } from './compaction.ts';
import { readProducerSnapshot, removeProducerSnapshotsAbove, writeProducerSnapshot } from './producer-snapshots.ts';
import { ProducerState } from './producer-state.ts';
import { decodeTxnMarker, encodeTxnMarker } from './txn-marker.ts';
import { batchProblem } from './batch-validation.ts';
import { LeaderEpochCache } from './leader-epochs.ts';
import { CLEANED_SUFFIX, CLEANER_OFFSET_FILE, LOG_START_OFFSET_FILE, RECOVERY_POINT_FILE, replaceWithSwap, swapFileName } from './log-files.ts';
import { recoverLog } from './log-recovery.ts';
import { cutSegment, deleteSegmentsFromEnd, findTruncationPoint, type TruncationPoint } from './log-truncation.ts';
import { Segment, segmentFileName } from './segment.ts';
import { CorruptLogError, OffsetOutOfRangeError, StorageError } from './storage-error.ts';

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  indexIntervalBytes: number;
}

export interface LogOptions {
  dir: string;
  fs: Fs;
  config: LogConfig;
  now: () => number;
  /** Told once per segment whose torn tail recovery cut off. */
  onRecovery?: (message: string) => void;
  /**
   * The broker shut down cleanly last time (its marker was there): every segment, the last one
   * included, is opened from its indexes, and any invalid batch is corruption, not a torn tail.
   */
  cleanShutdown?: boolean;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The batch was a retry of one already appended: these are that batch's offsets, and nothing was written. */
  duplicate?: boolean;
}

interface FlushWaiter {
  endOffset: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * A partition's log: segments in Kafka's layout, durable by group commit. `append` assigns offsets
 * synchronously (so they follow arrival order) and queues the bytes; `flush` resolves once they are
 * written and fdatasync'ed, one sync serving every caller waiting at that moment. No read returns
 * anything past the end of synced data (`durableEndOffset`). On a single broker that end is the high
 * watermark; in a replicated partition the high watermark is also held at what replication set
 * (`setReplicationHighWatermark`), and consumers read up to it while followers read to the durable end.
 *
 * For replication it also keeps where each leader epoch began (`leaderEpochs`, durable with the
 * batches, see LeaderEpochCache), takes a leader's batches as they are (`appendAsFollower`), and
 * cuts its end where a follower's log parts from its leader's (`truncateTo`).
 */
export class PartitionLog {
  readonly dir: string;
  private readonly fs: Fs;
  private config: LogConfig;
  private readonly now: () => number;
  private readonly segments: Segment[];
  private startOffset: number;
  private durableEnd: number;
  private waiters: FlushWaiter[] = [];
  private syncing = false;
  private failure: StorageError | null = null;
  /** Sealed segments with bytes still pending: the next flush must write and sync them too. */
  private sealedPending: Segment[] = [];
  /** The last log start offset checkpoint write; each waits for the one before. */
  private startWrites: Promise<void> = Promise.resolve();
  /** The checkpointed recovery point, and the write of the next one if one is under way. */
  private recoveryPoint: number;
  private recoveryPointWrite: Promise<void> | null = null;
  /** Offline since open (corruption): reads fail too, as there is nothing trustworthy to serve. */
  private unreadable = false;
  /** Serializes what removes or replaces segments (retention, DeleteRecords, compaction). */
  private segmentChanges: Promise<unknown> = Promise.resolve();
  /** Set by close and delete: compaction stops at its next group. */
  private closing = false;
  /** Sequence numbers of idempotent producers, to refuse gaps and answer retries. */
  private producers: ProducerState;
  /** Where each leader epoch began here: the truncation points of replication. */
  readonly leaderEpochs: LeaderEpochCache;
  /**
   * Set by replication: the offset below which every in-sync replica holds the records. Consumers
   * see up to the lower of it and the durable end; a single broker never sets it.
   */
  private replicatedEnd = Infinity;
  /** A truncation is under way: appends are refused, and recovery point checkpoints wait for the next turn. */
  private truncating = false;

  private constructor(options: LogOptions, segments: Segment[], startOffset: number, recoveryPoint: number, producers = new ProducerState(), leaderEpochs = LeaderEpochCache.empty(options.fs, options.dir)) {
    this.producers = producers;
    this.leaderEpochs = leaderEpochs;
    this.dir = options.dir;
    this.fs = options.fs;
    this.config = options.config;
    this.now = options.now;
    this.segments = segments;
    this.startOffset = startOffset;
    this.durableEnd = this.active.nextOffset;
    this.recoveryPoint = recoveryPoint;
  }

  /**
   * Opens the log in `dir`. Segments wholly below the recovery point (all of them after a clean
   * shutdown) are opened from their index files; the rest are walked and validated, and a torn tail
   * is cut. Damage that must not be cut (see CorruptLogError) leaves the log offline: it opens, but
   * every operation fails with that error, and nothing on disk is changed.
   */
  static async open(options: LogOptions): Promise<PartitionLog> {
    try {
      const found = await recoverLog(options);
      return new PartitionLog(options, found.segments, found.startOffset, found.recoveryPoint, found.producers, found.leaderEpochs);
    } catch (err) {
      if (!(err instanceof CorruptLogError)) throw err;
      const log = new PartitionLog(options, [Segment.fresh(options.dir, 0)], 0, 0);
      log.failure = err;
      log.unreadable = true;
      return log;
    }
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  /** The offset the next appended record gets. */
  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  /**
   * What consumers may read: the end of the fsynced data, and in a cluster no further than every
   * in-sync replica holds (see setReplicationHighWatermark).
   */
  get highWatermark(): number {
    return Math.min(this.durableEnd, this.replicatedEnd);
  }

  /** The end of the fsynced data: what a follower may copy, which on a leader may be past the high watermark. */
  get durableEndOffset(): number {
    return this.durableEnd;
  }

  /**
   * Replication's high watermark. The first call sets it (a broker joining a cluster starts it at
   * what it knows is committed); later ones only move it forward (truncateTo alone lowers it).
   */
  setReplicationHighWatermark(offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`${this.dir}: replication high watermark ${offset} is not an offset`);
    this.replicatedEnd = this.replicatedEnd === Infinity ? offset : Math.max(this.replicatedEnd, offset);
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  updateConfig(config: LogConfig): void {
    this.config = config;
  }

  /**
   * Appends validated RecordBatch v2 bytes (one or more whole batches), patching each batch's base
   * offset and leader epoch in place. Synchronous: the offsets are final when it returns. A leader
   * epoch newer than the log knows is recorded as beginning at the batch; the flush that makes the
   * batch durable makes that record durable too (a single broker, at epoch 0 throughout, writes it once).
   */
  append(batches: Buffer, leaderEpoch: number, logAppendTime: number | null): AppendResult {
    this.checkWritable();
    const idempotent = batches.length >= BATCH_HEADER_SIZE && batches.readBigInt64BE(BatchField.PRODUCER_ID) >= 0n;
    if (idempotent) return this.appendIdempotent(batches, leaderEpoch, logAppendTime);
    const baseOffset = this.logEndOffset;
    let at = 0;
    while (at < batches.length) {
      const size = completeBatchSize(batches, at);
      if (size < 0) throw new RangeError(`append of an incomplete batch at byte ${at}`);
      this.appendBatch(batches, at, size, leaderEpoch, logAppendTime);
      at += size;
    }
    return { baseOffset, lastOffset: this.logEndOffset - 1 };
  }

  /**
   * A batch of an idempotent producer (one per append, as Produce carries): a retry of one of its
   * last batches gets that batch's offsets back and is not written again; a sequence gap or an old
   * epoch throws ProducerSequenceError.
   */
  private appendIdempotent(batch: Buffer, leaderEpoch: number, logAppendTime: number | null): AppendResult {
    if (completeBatchSize(batch, 0) !== batch.length) throw new RangeError('an idempotent producer batch must be appended alone');
    const header = readBatchHeader(batch, 0);
    const check = this.producers.check(header);
    if (check.duplicate) return { baseOffset: check.baseOffset, lastOffset: check.lastOffset, duplicate: true };
    const baseOffset = this.logEndOffset;
    this.appendBatch(batch, 0, batch.length, leaderEpoch, logAppendTime);
    this.producers.update(header, baseOffset);
    return { baseOffset, lastOffset: this.logEndOffset - 1 };
  }

  /**
   * Writes a transaction marker (a control batch) for a producer: a commit or an abort of its open
   * transaction here. Only the transaction coordinator calls it; READ_COMMITTED consumers see the
   * transaction's batches once the commit marker is durable, and never those of an abort.
   */
  appendTxnMarker(producerId: number, producerEpoch: number, committed: boolean, coordinatorEpoch: number): AppendResult {
    this.checkWritable();
    this.producers.checkMarker(producerId, producerEpoch);
    const marker = encodeTxnMarker(producerId, producerEpoch, committed, coordinatorEpoch, this.now());
    const offset = this.logEndOffset;
    // In the current leader epoch, like every batch a leader writes (0 on a single broker).
    this.appendBatch(marker, 0, marker.length, Math.max(this.leaderEpochs.latestEpoch, 0), null);
    this.producers.endTransaction(producerId, producerEpoch, offset, committed, this.now());
    return { baseOffset: offset, lastOffset: offset };
  }

  /**
   * The last stable offset: below it every transaction is decided. The high watermark, or the first
   * offset of the oldest open transaction if that is lower.
   */
  get lastStableOffset(): number {
    const unstable = this.producers.firstUnstableOffset();
    return unstable === null ? this.highWatermark : Math.min(unstable, this.highWatermark);
  }

  /** The producers this partition knows (DescribeProducers): epoch, last sequence and time, open transaction. */
  activeProducers(): { producerId: number; producerEpoch: number; lastSequence: number; lastTimestamp: number; currentTxnStartOffset: number }[] {
    return this.producers.entries().map((e) => ({
      producerId: e.producerId,
      producerEpoch: e.epoch,
      lastSequence: e.batches.at(-1)?.lastSeq ?? -1,
      lastTimestamp: e.lastTimestamp,
      currentTxnStartOffset: e.txnFirstOffset,
    }));
  }

  /** Aborted transactions with batches in [from, to), for a READ_COMMITTED fetch of that range. */
  abortedTransactions(from: number, to: number): { producerId: number; firstOffset: number }[] {
    return this.producers.abortedBetween(from, to).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
  }

  /** Throws unless appends may go on: the log is not offline and no truncation is under way. */
  private checkWritable(): void {
    if (this.failure) throw this.failure;
    if (this.truncating) throw new Error(`log ${this.dir} is being truncated: appends wait until truncateTo resolves`);
  }

  private appendBatch(batches: Buffer, at: number, size: number, leaderEpoch: number, logAppendTime: number | null): void {
    this.leaderEpochs.assign(leaderEpoch, this.logEndOffset);
    this.maybeRoll(size);
    patchBatchForAppend(batches, at, size, this.logEndOffset, leaderEpoch, logAppendTime);
    this.active.append(batches, at, size, this.config.indexIntervalBytes, this.now());
  }

  private maybeRoll(nextBatchSize: number): void {
    const active = this.active;
    if (active.size === 0) return;
    const full = active.size + nextBatchSize > this.config.segmentBytes;
    const old = active.firstAppendAt !== null && this.now() - active.firstAppendAt >= this.config.segmentMs;
    if (!full && !old) return;
    if (active.hasPending) this.sealedPending.push(active);
    this.segments.push(Segment.fresh(this.dir, this.logEndOffset));
  }

  /**
   * Resolves once everything appended before the call is written and fdatasync'ed, and so is the
   * leader-epoch checkpoint that names the epochs of those batches.
   */
  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    // Written beside the group commit, not after it: the first acknowledgement in an epoch waits
    // for at most one more durable write, and the others for none.
    const epochs = this.leaderEpochs.settled ? null : this.persistEpochs();
    const endOffset = this.logEndOffset;
    if (endOffset <= this.durableEnd) return epochs ?? Promise.resolve();
    const data = new Promise<void>((resolve, reject) => {
      this.waiters.push({ endOffset, resolve, reject });
      if (!this.syncing) void this.syncLoop();
    });
    return epochs ? Promise.all([data, epochs]).then(() => undefined) : data;
  }

  /**
   * Writes the epoch cache's changes. A failed write takes the log offline as a failed fsync does:
   * a batch whose epoch is not durable must never be acknowledged, now or after a retry.
   */
  private persistEpochs(): Promise<void> {
    return this.leaderEpochs.persist().catch((err: unknown) => {
      if (!this.failure) {
        this.failure = new StorageError(`log ${this.dir} is offline after a failed leader-epoch checkpoint write: ${(err as Error).message}`, { cause: err });
        for (const w of this.waiters.splice(0)) w.reject(this.failure);
      }
      throw this.failure;
    });
  }

  /**
   * Records a new leader epoch starting at the log end, durably, before the new leader appends in it
   * (Kafka's makeLeader): a follower holding records of a deposed leader's epoch then finds where
   * its log parts from this one.
   */
  async assignLeaderEpoch(epoch: number): Promise<void> {
    this.checkWritable();
    this.leaderEpochs.assign(epoch, this.logEndOffset);
    await this.persistEpochs();
  }

  /**
   * Appends batches copied from the leader as they are (offsets and epochs already stamped), after
   * checking each (magic, CRC, offsets going forward from the log end). Nothing is appended if any
   * batch is invalid. Synchronous like append; flush makes them durable.
   */
  appendAsFollower(batches: Buffer): AppendResult {
    this.checkWritable();
    const firstOffset = this.logEndOffset;
    let next = firstOffset;
    for (let at = 0; at < batches.length;) {
      const size = completeBatchSize(batches, at);
      if (size < 0) throw new RangeError(`replicated data ends inside a batch at byte ${at}`);
      const problem = batchProblem(batches, at, size, next);
      if (problem) throw new RangeError(`replicated batch at byte ${at} cannot follow offset ${next}: ${problem}`);
      // A marker is read here too, so that one that cannot be read refuses the append before anything is written.
      if ((batches.readInt16BE(at + BatchField.ATTRIBUTES) & Attribute.CONTROL) !== 0) checkControlBatch(batches, at, size);
      next = Number(batches.readBigInt64BE(at + BatchField.BASE_OFFSET)) + batches.readInt32BE(at + BatchField.LAST_OFFSET_DELTA) + 1;
      at += size;
    }
    for (let at = 0; at < batches.length;) {
      const size = completeBatchSize(batches, at);
      const header = readBatchHeader(batches, at);
      this.leaderEpochs.assign(header.partitionLeaderEpoch, header.baseOffset);
      this.maybeRoll(size);
      this.active.append(batches, at, size, this.config.indexIntervalBytes, this.now());
      this.replayProducerState(batches, at);
      at += size;
    }
    return { baseOffset: firstOffset, lastOffset: this.logEndOffset - 1 };
  }

  /** What a batch says about its producer: sequences of idempotent ones, transaction ends from markers. */
  private replayProducerState(buf: Buffer, at: number, producers = this.producers): void {
    const header = readBatchHeader(buf, at);
    if (header.producerId < 0n) return;
    const marker = (header.attributes & Attribute.CONTROL) !== 0 ? decodeTxnMarker(buf.subarray(at, at + header.size)) : null;
    if (marker) producers.endTransaction(Number(header.producerId), header.producerEpoch, header.baseOffset, marker.committed, header.maxTimestamp);
    else producers.update(header, header.baseOffset);
  }

  /**
   * Cuts the log so that it ends at `offset`, or at the start of the batch holding it (truncation
   * points are batch boundaries), and returns the new end. A follower does this where its log parts
   * from its leader's. It waits for the group commit and any segment change under way; appends made
   * meanwhile throw. Everything after the cut is removed from disk, and the recovery point, the
   * cleaner's checkpoint, the epochs, the producer state (from the newest snapshot at or below the
   * cut, plus the batches after it) and the high watermark follow. A crash at any point leaves a log
   * that opens, possibly longer (the caller truncates again), never with a hole. A cut below the log
   * start offset, or inside the batch holding it, throws RangeError and changes nothing.
   */
  truncateTo(offset: number): Promise<number> {
    return this.exclusive(async () => {
      if (this.failure) throw this.failure;
      this.truncating = true;
      try {
        // What is in flight lands first: pending batches in their files, and a recovery point or a
        // producer snapshot being written (landing after the cut, it would point past the new end).
        await this.flush();
        await this.recoveryPointWrite?.catch(() => undefined);
        if (this.failure) throw this.failure;
        if (offset >= this.logEndOffset) {
          // Nothing to cut, but an epoch this broker began as leader without appending in it (its
          // entry sits at the log end) must go: a follower that kept it would keep asking the
          // leader about an epoch whose records it does not have (as Kafka does since KAFKA-9838's fix).
          this.leaderEpochs.truncateFromEnd(this.logEndOffset);
          await this.persistEpochs();
          return this.logEndOffset;
        }
        if (offset < this.startOffset) throw new RangeError(`cannot truncate ${this.dir} to ${offset}, below its log start offset ${this.startOffset}`);
        const index = this.segmentFor(offset);
        const cut = await findTruncationPoint(this.fs, this.segments[index], offset);
        if (cut.offset < this.startOffset) {
          throw new RangeError(`cannot truncate ${this.dir} to ${offset}: the batch holding it begins at ${cut.offset}, below the log start offset ${this.startOffset}`);
        }
        return await this.cutAt(index, cut);
      } finally {
        this.truncating = false;
      }
    });
  }

  /**
   * The changes of a truncation, ordered for crashes: every checkpoint that could point past the
   * new end comes down first (a recovery point or a producer snapshot past the end makes the log
   * fail to open), then the files are cut from the end back. A failure part way takes the log
   * offline, as memory and disk may disagree; it opens again from what the disk holds.
   */
  private async cutAt(index: number, cut: TruncationPoint): Promise<number> {
    const newEnd = cut.offset;
    try {
      if (this.recoveryPoint > newEnd) {
        await writeCheckpoint(this.fs, join(this.dir, RECOVERY_POINT_FILE), newEnd);
        this.recoveryPoint = newEnd;
      }
      // Records appended after the cut must be compacted like any new ones.
      const cleaned = await readOffsetCheckpoint(this.fs, join(this.dir, CLEANER_OFFSET_FILE));
      if (cleaned !== null && cleaned > newEnd) await writeCheckpoint(this.fs, join(this.dir, CLEANER_OFFSET_FILE), newEnd);
      await removeProducerSnapshotsAbove(this.fs, this.dir, newEnd);
      await deleteSegmentsFromEnd(this.fs, this.dir, this.segments.splice(index + 1));
      this.segments[index] = await cutSegment(this.fs, this.segments[index], cut.position, this.config.indexIntervalBytes);
      if (this.logEndOffset !== newEnd) throw new StorageError(`the cut segment ends at ${this.logEndOffset}, not ${newEnd}`);
      this.durableEnd = newEnd;
      this.replicatedEnd = Math.min(this.replicatedEnd, newEnd);
      // After the files: a crash before this leaves epochs past the end, which open drops.
      this.leaderEpochs.truncateFromEnd(newEnd);
      await this.leaderEpochs.persist();
      await this.rebuildProducerState();
      return newEnd;
    } catch (err) {
      this.failure ??= new StorageError(`log ${this.dir} is offline after a failed truncation: ${(err as Error).message}`, { cause: err });
      throw this.failure;
    }
  }

  private async rebuildProducerState(): Promise<void> {
    const snapshot = await readProducerSnapshot(this.fs, this.dir, this.logEndOffset);
    const producers = snapshot?.state ?? new ProducerState();
    const from = snapshot?.offset ?? 0;
    for (const segment of this.segments) {
      if (segment.nextOffset <= from || segment.written === 0) continue;
      await scanBatches(this.fs, segment.fd, segment.positionAtOrBefore(from), segment.written, (buf, at) => {
        if (Number(buf.readBigInt64BE(at + BatchField.BASE_OFFSET)) >= from) this.replayProducerState(buf, at, producers);
        return true;
      });
    }
    producers.pruneAborted(this.startOffset);
    this.producers = producers;
  }

  private async syncLoop(): Promise<void> {
    this.syncing = true;
    try {
      while (this.waiters.length > 0 && !this.failure) {
        const endOffset = this.logEndOffset;
        const sealed = this.sealedPending.splice(0);
        const touched = this.active.hasPending ? [...sealed, this.active] : sealed;
        await this.writeAndSync(touched);
        this.durableEnd = endOffset;
        const done = this.waiters.filter((w) => w.endOffset <= endOffset);
        this.waiters = this.waiters.filter((w) => w.endOffset > endOffset);
        for (const w of done) w.resolve();
        // After the acknowledgements: index entries past the recovery point are rebuilt on
        // recovery, so no acknowledgement waits for them.
        for (const segment of touched) segment.writeIndexes(this.fs);
        // Completed segments move the recovery point past them (in the background), so a crash
        // never rescans a sealed segment.
        if (sealed.length > 0) void this.checkpointRecoveryPoint().catch(() => undefined);
      }
    } catch (err) {
      this.failure = new StorageError(`log ${this.dir} is offline after a failed write or fsync: ${(err as Error).message}`, { cause: err });
      for (const w of this.waiters.splice(0)) w.reject(this.failure);
    } finally {
      this.syncing = false;
    }
  }

  /** One group commit: write every pending byte of `segments` (sealed ones first), then fdatasync each. */
  private async writeAndSync(segments: Segment[]): Promise<void> {
    for (const segment of segments) await segment.writePending(this.fs);
    for (const segment of segments) await this.fs.fdatasync(segment.fd);
  }

  /**
   * Writes the recovery point: the high watermark now, once the index files of every segment
   * wholly below it are synced. The broker calls it periodically; a failure takes the log offline
   * (the disk is failing) and is also thrown to the caller.
   */
  checkpointRecoveryPoint(): Promise<void> {
    this.recoveryPointWrite ??= this.writeRecoveryPoint().finally(() => {
      this.recoveryPointWrite = null;
    });
    return this.recoveryPointWrite;
  }

  private async writeRecoveryPoint(): Promise<void> {
    if (this.failure) throw this.failure;
    // A truncation is moving the end down; the next checkpoint starts from where it leaves it.
    if (this.truncating) return;
    const target = this.durableEnd;
    if (target <= this.recoveryPoint) return;
    try {
      for (const segment of this.segments.slice(0, -1)) {
        if (segment.nextOffset > target || segment.isRemoved) continue;
        segment.pin();
        try {
          await segment.syncIndexes(this.fs);
        } finally {
          await segment.unpin(this.fs);
        }
      }
      // Below the recovery point batches are not walked at recovery, so their epochs must be durable.
      if (!this.leaderEpochs.settled) await this.persistEpochs();
      await writeCheckpoint(this.fs, join(this.dir, RECOVERY_POINT_FILE), target);
      this.recoveryPoint = target;
      await this.snapshotProducers();
    } catch (err) {
      this.failure ??= new StorageError(`log ${this.dir} is offline after a failed recovery point checkpoint: ${(err as Error).message}`, { cause: err });
      throw this.failure;
    }
  }

  /**
   * Writes the producer state as of the log end, once that end is durable: recovery then rebuilds
   * the state from this snapshot and the batches after it, not from the whole log.
   */
  private async snapshotProducers(): Promise<void> {
    const offset = this.logEndOffset;
    const data = this.producers.encode(offset);
    await this.flush();
    await writeProducerSnapshot(this.fs, this.dir, offset, data);
  }

  /** Forgets idempotent producers silent for longer than producer.id.expiration.ms. */
  expireProducers(now: number, expirationMs: number): number {
    return this.producers.expire(now, expirationMs);
  }

  /** Why the log is offline (a failed write or fsync, or corruption found when it opened), or null. */
  get offlineReason(): StorageError | null {
    return this.failure;
  }

  /** The segment holding `offset` (the last whose base offset is <= it). */
  private segmentFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid].baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * The segment after `segment`, or undefined at the end or if `segment` was removed meanwhile (by
   * retention or DeleteRecords, possibly with the ones after it: going on could skip records).
   */
  private segmentAfter(segment: Segment): Segment | undefined {
    if (segment.isRemoved) return undefined;
    return this.segments[this.segmentFor(segment.baseOffset) + 1];
  }

  /**
   * Whole batches starting with the one that contains `offset` (Kafka's rule: a fetch inside a batch
   * gets that whole batch), at most `maxBytes` unless `minOneBatch` lets the first batch exceed it,
   * never past `upTo`: by default the high watermark, which consumers never read past; a follower
   * passes `durableEndOffset`, the most any read returns. Empty from `upTo` to the durable end;
   * OffsetOutOfRangeError below the log start or past the durable end. Each segment read is pinned,
   * so retention cannot close its file under it.
   */
  async read(offset: number, maxBytes: number, minOneBatch = true, upTo = this.highWatermark): Promise<Buffer> {
    if (this.unreadable) throw this.failure!;
    if (offset < this.startOffset || offset > this.durableEnd) throw new OffsetOutOfRangeError(offset, this.startOffset, this.durableEnd);
    const end = Math.min(upTo, this.durableEnd);
    const chunks: Buffer[] = [];
    let total = 0;
    let segment: Segment | undefined = this.segments[this.segmentFor(offset)];
    // Compaction can leave a segment empty, or with offsets missing at its end: the walk goes on to the next one.
    while (segment && segment.baseOffset < end) {
      const first = minOneBatch && total === 0;
      if (total >= maxBytes && !first) break;
      const request = { offset, budget: maxBytes - total, minOneBatch: first, durableEnd: end, slack: 2 * this.config.indexIntervalBytes };
      segment.pin();
      let part;
      try {
        part = await readFromSegment(this.fs, segment, request);
      } finally {
        await segment.unpin(this.fs);
      }
      if (part.bytes.length > 0) chunks.push(part.bytes);
      total += part.bytes.length;
      if (!part.continues) break;
      segment = this.segmentAfter(segment);
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
  }

  /**
   * The first batch whose max timestamp is >= `timestamp`: its base offset and that timestamp.
   * Batch-level, like Kafka before it looks inside batches: the offset may belong to a record a
   * little older than asked. Null when every record is older.
   */
  async offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
    if (this.unreadable) throw this.failure!;
    let segment: Segment | undefined = this.segments[0];
    while (segment) {
      if (segment.maxTimestamp >= timestamp && segment.written > 0) {
        segment.pin();
        try {
          const found = await this.findTimestampIn(segment, timestamp);
          if (found && !segment.isRemoved) return found;
        } finally {
          await segment.unpin(this.fs);
        }
      }
      // A segment removed meanwhile holds no answer any more: it lies in what remains, from its first segment.
      segment = segment.isRemoved ? this.segments[0] : this.segmentAfter(segment);
    }
    return null;
  }

  private async findTimestampIn(segment: Segment, timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
    const from = segment.timeIndex.before(timestamp);
    const position = from ? segment.positionAtOrBefore(segment.baseOffset + from[1]) : 0;
    let found: { offset: number; timestamp: number } | null = null;
    await scanBatches(this.fs, segment.fd, position, segment.written, (buf, at) => {
      const base = Number(buf.readBigInt64BE(at + BatchField.BASE_OFFSET));
      const max = Number(buf.readBigInt64BE(at + BatchField.MAX_TIMESTAMP));
      if (base >= this.highWatermark) return false;
      if (max < timestamp) return true;
      found = { offset: Math.max(base, this.startOffset), timestamp: max };
      return false;
    });
    return found;
  }

  /** The offset and timestamp of the record with the largest timestamp (batch-level), or null for an empty log. */
  maxTimestampOffset(): { offset: number; timestamp: number } | null {
    if (this.unreadable) throw this.failure!;
    let best: { offset: number; timestamp: number } | null = null;
    for (const segment of this.segments) {
      if (segment.offsetOfMaxTimestamp >= 0 && segment.offsetOfMaxTimestamp < this.highWatermark && (!best || segment.maxTimestamp > best.timestamp)) {
        best = { offset: segment.offsetOfMaxTimestamp, timestamp: segment.maxTimestamp };
      }
    }
    return best;
  }

  /** Moves the log start offset forward (DeleteRecords) and deletes the segments wholly below it. */
  async deleteRecordsBefore(offset: number): Promise<void> {
    if (this.failure) throw this.failure;
    if (offset <= this.startOffset) return;
    if (offset > this.highWatermark) throw new OffsetOutOfRangeError(offset, this.startOffset, this.highWatermark);
    await this.moveStartTo(offset);
  }

  /**
   * Retention (cleanup.policy=delete): deletes the oldest sealed segments whose newest record is older
   * than `retentionMs`, then as many more as keep the log above `retentionBytes` (-1: no limit).
   * The active segment is never deleted. Returns how many segments went.
   */
  async applyRetention(now: number, retentionMs: number, retentionBytes: number): Promise<number> {
    if (this.failure) throw this.failure;
    let total = this.sizeInBytes;
    let drop = 0;
    while (drop < this.segments.length - 1) {
      const segment = this.segments[drop];
      if (segment.nextOffset > this.highWatermark) break;
      const expired = retentionMs >= 0 && segment.maxTimestamp < now - retentionMs;
      const oversized = retentionBytes >= 0 && total - segment.size >= retentionBytes;
      if (!expired && !oversized) break;
      total -= segment.size;
      drop++;
    }
    if (drop === 0) return 0;
    await this.moveStartTo(Math.max(this.startOffset, this.segments[drop].baseOffset));
    return drop;
  }

  /** Runs `change` once the segment changes before it are done. */
  private exclusive<T>(change: () => Promise<T>): Promise<T> {
    const run = this.segmentChanges.then(change);
    this.segmentChanges = run.catch(() => undefined);
    return run;
  }

  /** Persists a new log start offset, then deletes every segment that lies wholly below it. */
  private moveStartTo(offset: number): Promise<void> {
    return this.exclusive(() => this.deleteBefore(offset));
  }

  private async deleteBefore(offset: number): Promise<void> {
    this.startOffset = Math.max(this.startOffset, offset);
    this.producers.pruneAborted(this.startOffset);
    await this.persistStartOffset();
    this.leaderEpochs.truncateFromStart(this.startOffset);
    await this.persistEpochs();
    while (this.segments.length > 1 && this.segments[1].baseOffset <= offset) {
      const gone = this.segments.shift()!;
      await gone.remove(this.fs);
      for (const suffix of ['.log', '.index', '.timeindex'] as const) await this.fs.unlink(join(this.dir, segmentFileName(gone.baseOffset, suffix)));
    }
    await this.fs.fsyncDir(this.dir);
  }

  /**
   * Writes the current log start offset once the previous write is done. Retention and DeleteRecords
   * may move it concurrently: chained, they never share the temp file, and as each writes the newest
   * value, the last write holds the highest.
   */
  private persistStartOffset(): Promise<void> {
    const write = this.startWrites.then(() => writeCheckpoint(this.fs, join(this.dir, LOG_START_OFFSET_FILE), this.startOffset));
    // The caller gets this write's failure; the next write still runs and may succeed.
    this.startWrites = write.catch(() => undefined);
    return write;
  }

  /**
   * One compaction pass (cleanup.policy=compact): maps each key of the dirty part (what earlier
   * passes have not seen) to its newest offset, then rewrites the cleanable segments, a group of
   * them at a time, keeping only each key's newest record. Only sealed, durable segments whose
   * records are all older than min.compaction.lag.ms are touched; the active segment never is.
   * Returns null when there is nothing to do (too little dirty data for min.cleanable.dirty.ratio).
   */
  async compact(now: number, config: CompactionConfig): Promise<CompactionStats | null> {
    if (this.failure) throw this.failure;
    const cleanable: Segment[] = [];
    for (const segment of this.segments.slice(0, -1)) {
      // Below the last stable offset only: an open transaction may still be aborted.
      if (segment.nextOffset > this.lastStableOffset || segment.maxTimestamp > now - config.minCompactionLagMs) break;
      cleanable.push(segment);
    }
    if (cleanable.length === 0) return null;
    const firstDirty = Math.max((await readOffsetCheckpoint(this.fs, join(this.dir, CLEANER_OFFSET_FILE))) ?? 0, this.startOffset);
    const dirty = cleanable.filter((s) => s.nextOffset > firstDirty);
    if (dirty.length === 0) return null;
    const dirtyBytes = dirty.reduce((n, s) => n + s.size, 0);
    const totalBytes = cleanable.reduce((n, s) => n + s.size, 0);
    const overdue = dirty.some((s) => s.maxTimestamp < now - config.maxCompactionLagMs);
    if (dirtyBytes / totalBytes < config.minCleanableDirtyRatio && !overdue) return null;

    const isAborted = (batch: Buffer) =>
      (batch.readInt16BE(BatchField.ATTRIBUTES) & Attribute.TRANSACTIONAL) !== 0 &&
      this.producers.isAborted(Number(batch.readBigInt64BE(BatchField.PRODUCER_ID)), Number(batch.readBigInt64BE(BatchField.BASE_OFFSET)));
    const keys = await buildKeyMap(this.fs, dirty, firstDirty, isAborted);
    const toClean = cleanable.filter((s) => s.baseOffset < keys.endOffset);
    const stats: CompactionStats = { segmentsBefore: toClean.length, segmentsAfter: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0 };
    for (const group of groupSegments(toClean, this.config.segmentBytes)) {
      const replaced = await this.exclusive(() => this.compactGroup(group, keys, now - config.deleteRetentionMs));
      // Retention took part of the group meanwhile: the next pass starts over from the same dirty offset.
      if (!replaced) return stats;
      stats.segmentsAfter++;
      stats.bytesBefore += replaced.bytesBefore;
      stats.bytesAfter += replaced.bytesAfter;
      stats.recordsRemoved += replaced.removed;
    }
    await writeCheckpoint(this.fs, join(this.dir, CLEANER_OFFSET_FILE), keys.endOffset);
    return stats;
  }

  /**
   * Replaces `group` with one compacted segment. Crash-safe: the copy is written and synced as
   * `.cleaned`, renamed to a `.swap` file that names the offsets it replaces (the commit point), the
   * old files are deleted, and the swap becomes the group's first `.log`; `open` finishes a swap a
   * crash interrupted and deletes a `.cleaned` one. Null if retention removed part of the group meanwhile.
   */
  private async compactGroup(group: Segment[], keys: KeyMap, tombstoneHorizon: number) {
    if (group.some((s) => s.isRemoved) || this.failure || this.closing) return null;
    const base = group[0].baseOffset;
    const end = group[group.length - 1].nextOffset;
    const cleaned = join(this.dir, segmentFileName(base, '.log') + CLEANED_SUFFIX);
    const written = await writeCompactedGroup(this.fs, cleaned, group, keys, tombstoneHorizon);
    const swap = join(this.dir, swapFileName(base, end));
    await this.fs.rename(cleaned, swap);
    await this.fs.fsyncDir(this.dir);
    // The old files are unlinked but not closed: until the splice below, reads still find the old
    // segments in the list and read them from their open (unlinked) files.
    await replaceWithSwap(this.fs, this.dir, swap, base, group.map((s) => s.baseOffset));
    const { segment } = await Segment.recover(this.fs, this.dir, base, { indexIntervalBytes: this.config.indexIntervalBytes, recoveryPoint: 0, isLast: false, allDurable: true });
    segment.nextOffset = end;
    await segment.syncIndexes(this.fs);
    const at = this.segments.indexOf(group[0]);
    this.segments.splice(at, group.length, segment);
    // Out of the list, the old segments are removed as retention removes them: closed now, or when
    // the last read pinning them ends. Every one is marked removed in this same turn as the splice
    // (remove sets the mark before it awaits), so a read that ends in one never walks on to
    // `segmentAfter` it, which would skip the rest of the group.
    await Promise.all(group.map((old) => old.remove(this.fs)));
    return { bytesBefore: group.reduce((n, s) => n + s.size, 0), bytesAfter: written.bytes, removed: written.removed };
  }

  /** Bytes on disk and pending, over every segment (retention.bytes counts this). */
  get sizeInBytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  /**
   * Flushes what is pending, syncs every index file and checkpoints the recovery point at the log
   * end (so a clean restart opens every segment from its indexes), then closes every file. Resolves
   * false if the log was offline or failed to close cleanly: the broker must not call that clean.
   */
  async close(): Promise<boolean> {
    this.closing = true;
    // A segment replacement under way finishes first.
    await this.exclusive(async () => {});
    let clean = this.failure === null;
    try {
      if (clean) {
        await this.flush();
        await this.recoveryPointWrite;
        for (const segment of this.segments) await segment.syncIndexes(this.fs);
        if (this.durableEnd > this.recoveryPoint) await writeCheckpoint(this.fs, join(this.dir, RECOVERY_POINT_FILE), this.durableEnd);
        await this.snapshotProducers();
      }
    } catch {
      clean = false;
    }
    for (const segment of this.segments) await segment.remove(this.fs);
    return clean;
  }

  /** Closes and removes the partition's directory (DeleteTopics). */
  async delete(): Promise<void> {
    this.closing = true;
    this.failure ??= new StorageError(`log ${this.dir} was deleted`);
    await this.exclusive(async () => {});
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
    for (const segment of this.segments) await segment.remove(this.fs);
    await this.fs.rmrf(this.dir);
  }
}

/** Throws RangeError unless the control batch at `at` can be read (a follower replays its marker). */
function checkControlBatch(batches: Buffer, at: number, size: number): void {
  try {
    decodeTxnMarker(batches.subarray(at, at + size));
  } catch (err) {
    throw new RangeError(`replicated control batch at byte ${at} cannot be read: ${(err as Error).message}`, { cause: err });
  }
}
