import { decodeRecordBatch, encodeRecordBatch, ErrorCode } from '@millrace/protocol';
import { forEachBatch } from '../log-replay.ts';
import { OFFSETS_TOPIC, type OffsetStore } from '../group/offset-store.ts';
import type { Logger } from '../logger.ts';
import { internalPartitionIndex } from '../metadata/internal-topics.ts';
import type { Partition } from '../partition.ts';
import type { ProducerIdManager } from '../producer-ids.ts';
import type { TopicManager } from '../topic-manager.ts';
import {
  decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue, partitionKey, splitPartitionKey, type TxnMetadata, TxnStatus,
} from './txn-records.ts';

export const TXN_TOPIC = '__transaction_state';
/** Epochs are int16; Kafka starts a new producer id before one reaches the top. */
const MAX_EPOCH = 32766;
/** A single broker is coordinator of every transactional id since it started: its epoch never changes. */
const COORDINATOR_EPOCH = 0;

export interface TxnCoordinatorOptions {
  partitionCount: number;
  segmentBytes: number;
  maxTimeoutMs: number;
  now: () => number;
  log: Logger;
}

/** What InitProducerId answers. */
export interface ProducerIdAndEpoch {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

/**
 * The transaction coordinator: each transactional id's producer id and epoch, its state and the
 * partitions of its open transaction, kept in `__transaction_state` and fsynced before any answer.
 * Ending a transaction writes PrepareCommit/PrepareAbort, then a marker to every partition of the
 * transaction (which releases their last stable offset), then CompleteCommit/CompleteAbort; a
 * restart finishes a transaction left between the two. Calls for one transactional id run one at a time.
 */
export class TransactionCoordinator {
  private readonly txns = new Map<string, TxnMetadata>();
  private readonly busy = new Map<string, Promise<unknown>>();
  private creating: Promise<unknown> | null = null;

  private readonly topics: TopicManager;
  private readonly offsets: OffsetStore;
  private readonly producerIds: ProducerIdManager;
  private readonly options: TxnCoordinatorOptions;

  private constructor(topics: TopicManager, offsets: OffsetStore, producerIds: ProducerIdManager, options: TxnCoordinatorOptions) {
    this.topics = topics;
    this.offsets = offsets;
    this.producerIds = producerIds;
    this.options = options;
  }

  /** Loads `__transaction_state` and completes the transactions a crash left prepared. */
  static async open(topics: TopicManager, offsets: OffsetStore, producerIds: ProducerIdManager, options: TxnCoordinatorOptions): Promise<TransactionCoordinator> {
    const coordinator = new TransactionCoordinator(topics, offsets, producerIds, options);
    for (const partition of topics.get(TXN_TOPIC)?.partitions ?? []) {
      if (partition.log.offlineReason) {
        options.log.error(`${TXN_TOPIC}-${partition.index} is offline: its transactional ids are unavailable`);
        continue;
      }
      await coordinator.load(partition);
    }
    for (const m of coordinator.txns.values()) {
      if (m.status === TxnStatus.PREPARE_COMMIT || m.status === TxnStatus.PREPARE_ABORT) {
        options.log.info(`completing transaction of '${m.transactionalId}' left prepared by the last shutdown`);
        await coordinator.exclusive(m.transactionalId, () => coordinator.complete(m));
      }
    }
    return coordinator;
  }

  private load(partition: Partition): Promise<void> {
    return forEachBatch(partition.log, (batch) => {
      for (const record of decodeRecordBatch(batch)) {
        const id = record.key && decodeTxnKey(record.key);
        if (!id) continue;
        if (record.value) this.txns.set(id, decodeTxnValue(id, record.value));
        else this.txns.delete(id);
      }
    });
  }

  /** Runs `work` after every earlier call for the same transactional id has finished. */
  private exclusive<T>(transactionalId: string, work: () => Promise<T>): Promise<T> {
    const run = (this.busy.get(transactionalId) ?? Promise.resolve()).then(work);
    const settled = run.catch(() => undefined);
    this.busy.set(transactionalId, settled);
    void settled.then(() => {
      if (this.busy.get(transactionalId) === settled) this.busy.delete(transactionalId);
    });
    return run;
  }

  private async stateLog(transactionalId: string): Promise<Partition> {
    if (!this.topics.get(TXN_TOPIC)) {
      this.creating ??= this.topics.createTopic(TXN_TOPIC, this.options.partitionCount, { 'cleanup.policy': 'compact', 'segment.bytes': String(this.options.segmentBytes) });
      await this.creating;
    }
    const partitions = this.topics.get(TXN_TOPIC)!.partitions;
    return partitions[internalPartitionIndex(transactionalId, partitions.length)];
  }

  /** Writes a transactional id's state durably (null deletes it). */
  private async persist(transactionalId: string, m: TxnMetadata | null): Promise<void> {
    const partition = await this.stateLog(transactionalId);
    const batch = encodeRecordBatch({ records: [{ key: encodeTxnKey(transactionalId), value: m && encodeTxnValue(m), timestamp: this.options.now() }] });
    partition.log.append(batch, partition.leaderEpoch, null);
    await partition.log.flush();
  }

  /** Checks the producer id and epoch a client sent; `fencedCode` is what an older epoch gets (PRODUCER_FENCED from the versions that know it). */
  private check(m: TxnMetadata | undefined, producerId: number, epoch: number, fencedCode: number): number {
    if (!m || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (epoch < m.producerEpoch) return fencedCode;
    if (epoch > m.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    return ErrorCode.NONE;
  }

  initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: number; producerEpoch: number }): Promise<ProducerIdAndEpoch> {
    return this.exclusive(transactionalId, async () => {
      const refuse = (errorCode: number) => ({ errorCode, producerId: -1, producerEpoch: -1 });
      if (timeoutMs <= 0 || timeoutMs > this.options.maxTimeoutMs) return refuse(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
      const now = this.options.now();
      let m = this.txns.get(transactionalId);
      if (!m) {
        m = { transactionalId, producerId: await this.producerIds.allocate(), producerEpoch: 0, timeoutMs, status: TxnStatus.EMPTY, partitions: new Set(), lastUpdateMs: now, startMs: -1 };
        await this.persist(transactionalId, m);
        this.txns.set(transactionalId, m);
        return { errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch };
      }
      // KIP-360: a producer that names its id and epoch may only bump its own, current one.
      if (expected.producerId >= 0 && (expected.producerId !== m.producerId || expected.producerEpoch !== m.producerEpoch)) return refuse(ErrorCode.PRODUCER_FENCED);
      if (m.status === TxnStatus.PREPARE_COMMIT || m.status === TxnStatus.PREPARE_ABORT) await this.complete(m);
      const next: TxnMetadata = { ...m, partitions: new Set(m.partitions), timeoutMs, lastUpdateMs: now };
      if (next.producerEpoch >= MAX_EPOCH) {
        next.producerId = await this.producerIds.allocate();
        next.producerEpoch = 0;
      } else next.producerEpoch++;
      if (m.status === TxnStatus.ONGOING) {
        // The new producer fences the old one: its open transaction is aborted with the new epoch, so its writes are refused from now on.
        this.options.log.info(`aborting the open transaction of '${transactionalId}': a new producer took the transactional id`);
        next.status = TxnStatus.PREPARE_ABORT;
        await this.persist(transactionalId, next);
        this.txns.set(transactionalId, next);
        await this.complete(next);
      }
      next.status = TxnStatus.EMPTY;
      next.partitions = new Set();
      next.startMs = -1;
      await this.persist(transactionalId, next);
      this.txns.set(transactionalId, next);
      return { errorCode: ErrorCode.NONE, producerId: next.producerId, producerEpoch: next.producerEpoch };
    });
  }

  /**
   * Adds partitions to the producer's transaction, opening one if none is. Returns an error code per
   * partition key: all NONE, or UNKNOWN_TOPIC_OR_PARTITION for unknown ones and OPERATION_NOT_ATTEMPTED for the rest.
   */
  addPartitions(transactionalId: string, producerId: number, epoch: number, partitions: { topic: string; partition: number }[], fencedCode: number): Promise<Map<string, number>> {
    return this.exclusive(transactionalId, async () => {
      const all = (code: number) => new Map(partitions.map((p) => [partitionKey(p.topic, p.partition), code]));
      const m = this.txns.get(transactionalId);
      const invalid = this.check(m, producerId, epoch, fencedCode);
      if (invalid !== ErrorCode.NONE) return all(invalid);
      if (m!.status === TxnStatus.PREPARE_COMMIT || m!.status === TxnStatus.PREPARE_ABORT) return all(ErrorCode.CONCURRENT_TRANSACTIONS);
      const unknown = partitions.filter((p) => !this.topics.partition(p.topic, p.partition));
      if (unknown.length > 0) {
        const result = all(ErrorCode.OPERATION_NOT_ATTEMPTED);
        for (const p of unknown) result.set(partitionKey(p.topic, p.partition), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        return result;
      }
      const now = this.options.now();
      const opening = m!.status !== TxnStatus.ONGOING;
      const next: TxnMetadata = { ...m!, partitions: opening ? new Set() : new Set(m!.partitions), status: TxnStatus.ONGOING, lastUpdateMs: now, startMs: opening ? now : m!.startMs };
      const before = next.partitions.size;
      for (const p of partitions) next.partitions.add(partitionKey(p.topic, p.partition));
      if (!opening && next.partitions.size === before) return all(ErrorCode.NONE);
      await this.persist(transactionalId, next);
      this.txns.set(transactionalId, next);
      return all(ErrorCode.NONE);
    });
  }

  /** AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction. */
  async addOffsets(transactionalId: string, producerId: number, epoch: number, groupId: string, fencedCode: number): Promise<number> {
    const partition = await this.offsets.partitionIndexFor(groupId);
    const result = await this.addPartitions(transactionalId, producerId, epoch, [{ topic: OFFSETS_TOPIC, partition }], fencedCode);
    return [...result.values()][0];
  }

  endTransaction(transactionalId: string, producerId: number, epoch: number, committed: boolean, fencedCode: number): Promise<number> {
    return this.exclusive(transactionalId, async () => {
      const m = this.txns.get(transactionalId);
      const invalid = this.check(m, producerId, epoch, fencedCode);
      if (invalid !== ErrorCode.NONE) return invalid;
      const decided = committed ? TxnStatus.PREPARE_COMMIT : TxnStatus.PREPARE_ABORT;
      switch (m!.status) {
        case TxnStatus.ONGOING: {
          const next: TxnMetadata = { ...m!, status: decided, lastUpdateMs: this.options.now() };
          await this.persist(transactionalId, next);
          this.txns.set(transactionalId, next);
          await this.complete(next);
          return ErrorCode.NONE;
        }
        case decided:
          // A retry after a failure while writing markers: write them again.
          await this.complete(m!);
          return ErrorCode.NONE;
        case committed ? TxnStatus.COMPLETE_COMMIT : TxnStatus.COMPLETE_ABORT:
          return ErrorCode.NONE;
        default:
          return ErrorCode.INVALID_TXN_STATE;
      }
    });
  }

  /** Writes the markers of a prepared transaction to its partitions, then records it complete. */
  private async complete(m: TxnMetadata): Promise<void> {
    const committed = m.status === TxnStatus.PREPARE_COMMIT;
    const written: Promise<void>[] = [];
    const touched: Partition[] = [];
    for (const key of m.partitions) {
      const { topic, partition: index } = splitPartitionKey(key);
      const partition = this.topics.partition(topic, index);
      if (!partition) continue; // deleted since: nothing left to mark
      partition.log.appendTxnMarker(m.producerId, m.producerEpoch, committed, COORDINATOR_EPOCH);
      written.push(partition.log.flush());
      touched.push(partition);
    }
    await Promise.all(written);
    for (const partition of touched) {
      partition.notifyNewData();
      if (partition.topic === OFFSETS_TOPIC) this.offsets.completeTransaction(m.producerId, committed);
    }
    const next: TxnMetadata = { ...m, status: committed ? TxnStatus.COMPLETE_COMMIT : TxnStatus.COMPLETE_ABORT, partitions: new Set(), lastUpdateMs: this.options.now(), startMs: -1 };
    await this.persist(m.transactionalId, next);
    this.txns.set(m.transactionalId, next);
  }

  /**
   * Aborts transactions open longer than their timeout, bumping the epoch so their producer is
   * fenced, and writes again the markers of transactions left prepared by a failed write. Returns
   * the ids of the aborted ones.
   */
  async abortTimedOut(): Promise<string[]> {
    for (const m of [...this.txns.values()].filter((t) => t.status === TxnStatus.PREPARE_COMMIT || t.status === TxnStatus.PREPARE_ABORT)) {
      await this.exclusive(m.transactionalId, async () => {
        const current = this.txns.get(m.transactionalId);
        if (current && (current.status === TxnStatus.PREPARE_COMMIT || current.status === TxnStatus.PREPARE_ABORT)) await this.complete(current);
      });
    }
    const now = this.options.now();
    const expired = [...this.txns.values()].filter((m) => m.status === TxnStatus.ONGOING && m.startMs + m.timeoutMs < now);
    for (const m of expired) {
      await this.exclusive(m.transactionalId, async () => {
        const current = this.txns.get(m.transactionalId);
        if (current?.status !== TxnStatus.ONGOING || current.startMs + current.timeoutMs >= this.options.now()) return;
        this.options.log.info(`aborting the transaction of '${m.transactionalId}': open for more than its timeout of ${m.timeoutMs} ms`);
        const next: TxnMetadata = { ...current, producerEpoch: current.producerEpoch + 1, status: TxnStatus.PREPARE_ABORT, lastUpdateMs: this.options.now() };
        await this.persist(m.transactionalId, next);
        this.txns.set(m.transactionalId, next);
        await this.complete(next);
      });
    }
    return expired.map((m) => m.transactionalId);
  }

  /** Forgets transactional ids idle (no open transaction) for transactional.id.expiration.ms. */
  async expireTransactionalIds(expirationMs: number): Promise<string[]> {
    const now = this.options.now();
    const idle = [...this.txns.values()].filter((m) => m.status !== TxnStatus.ONGOING && m.status !== TxnStatus.PREPARE_ABORT && m.status !== TxnStatus.PREPARE_COMMIT && m.lastUpdateMs < now - expirationMs);
    for (const m of idle) {
      await this.exclusive(m.transactionalId, async () => {
        await this.persist(m.transactionalId, null);
        this.txns.delete(m.transactionalId);
      });
    }
    return idle.map((m) => m.transactionalId);
  }

  describe(transactionalId: string): TxnMetadata | undefined {
    return this.txns.get(transactionalId);
  }

  list(): TxnMetadata[] {
    return [...this.txns.values()];
  }
}
