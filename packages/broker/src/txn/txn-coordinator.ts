import { decodeRecordBatch, encodeRecordBatch, ErrorCode, errorName } from '@millrace/protocol';
import { forEachBatch } from '../log-replay.ts';
import { NotCoordinatorError, OFFSETS_TOPIC, type OffsetStore, type ReplicatedInternalTopic } from '../group/offset-store.ts';
import type { Logger } from '../logger.ts';
import { internalPartitionIndex } from '../metadata/internal-topics.ts';
import type { Partition } from '../partition.ts';
import type { ProducerIdManager } from '../producer-ids.ts';
import type { TopicManager } from '../topic-manager.ts';
import type { MarkerWriter } from './marker-writers.ts';
import {
  decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue, partitionKey, type TxnMetadata, TxnStatus,
} from './txn-records.ts';

export const TXN_TOPIC = '__transaction_state';
/** Epochs are int16; Kafka starts a new producer id before one reaches the top. */
const MAX_EPOCH = 32766;
/** Pause between attempts to write markers whose partition leaders could not take them, doubled up to 1 s. */
const MARKER_RETRY_BACKOFF_MS = 100;
const MARKER_RETRY_BACKOFF_MAX_MS = 1_000;
/**
 * What a partition answers that ends the attempts for it: written, gone (the topic was deleted),
 * or holding a newer epoch of the producer (its transaction there already ended).
 */
const MARKER_SETTLED = new Set<number>([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_PRODUCER_EPOCH]);

/** How a cluster changes the coordinator: its topic is the cluster's, and a write counts once the ISR has it. */
export interface ReplicatedTxnLog extends ReplicatedInternalTopic {
  /** The ISR size writes to `__transaction_state` need (transaction.state.log.min.isr). */
  minInsyncReplicas: number;
}

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
 *
 * In a cluster a transactional id is coordinated by the leader of its `__transaction_state`
 * partition: a write counts once that partition's ISR holds it, markers go to the leaders of the
 * transaction's partitions, and a broker that takes a partition over finishes the transactions its
 * last leader left prepared.
 */
export class TransactionCoordinator {
  private readonly txns = new Map<string, TxnMetadata>();
  private readonly busy = new Map<string, Promise<unknown>>();
  private creating: Promise<unknown> | null = null;
  /** Where markers go; null until the broker is ready to write them (nothing is served before). */
  private writeMarkers: MarkerWriter | null = null;
  private replicated: ReplicatedTxnLog | null = null;
  /** In a cluster, the partitions of `__transaction_state` coordinated here; null on a single broker (every one). */
  private owned: Set<number> | null = null;
  private readonly loading = new Set<number>();

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

  /** Loads `__transaction_state` as this broker holds it. */
  static async open(topics: TopicManager, offsets: OffsetStore, producerIds: ProducerIdManager, options: TxnCoordinatorOptions): Promise<TransactionCoordinator> {
    const coordinator = new TransactionCoordinator(topics, offsets, producerIds, options);
    for (const partition of topics.get(TXN_TOPIC)?.partitions ?? []) {
      if (partition.log.offlineReason) {
        options.log.error(`${TXN_TOPIC}-${partition.index} is offline: its transactional ids are unavailable`);
        continue;
      }
      await coordinator.load(partition);
    }
    return coordinator;
  }

  /** A single broker: markers go into its own logs; the transactions a crash left prepared are completed now. */
  async start(writeMarkers: MarkerWriter): Promise<void> {
    this.writeMarkers = writeMarkers;
    for (const m of [...this.txns.values()]) {
      if (m.status === TxnStatus.PREPARE_COMMIT || m.status === TxnStatus.PREPARE_ABORT) {
        this.options.log.info(`completing transaction of '${m.transactionalId}' left prepared by the last shutdown`);
        await this.exclusive(m.transactionalId, () => this.complete(m));
      }
    }
  }

  /**
   * In a cluster: forgets what was read at start-up (partitions are loaded as this broker comes to
   * lead them), and creates the topic, confirms writes and sends markers the cluster's way.
   */
  enterCluster(replicated: ReplicatedTxnLog, writeMarkers: MarkerWriter): void {
    this.replicated = replicated;
    this.writeMarkers = writeMarkers;
    this.txns.clear();
    this.owned = new Set();
  }

  /** Why this broker may not act for a transactional id now (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS...), or NONE. */
  errorFor(transactionalId: string): number {
    if (this.writeMarkers === null) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.owned === null) return ErrorCode.NONE;
    const index = this.indexOf(transactionalId);
    if (this.loading.has(index)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    return this.owned.has(index) ? ErrorCode.NONE : ErrorCode.NOT_COORDINATOR;
  }

  /** The partition index of a transactional id, from the configured partition count (the topic need not exist yet). */
  indexOf(transactionalId: string): number {
    return internalPartitionIndex(transactionalId, this.topics.get(TXN_TOPIC)?.partitions.length ?? this.options.partitionCount);
  }

  /** Makes the topic if it does not exist yet (in a cluster, in the cluster's metadata). */
  ensureTopic(): Promise<unknown> {
    if (this.replicated ? this.replicated.hasTopic(TXN_TOPIC) : this.topics.get(TXN_TOPIC)) return Promise.resolve();
    const configs: Record<string, string> = { 'cleanup.policy': 'compact', 'segment.bytes': String(this.options.segmentBytes) };
    if (this.replicated) configs['min.insync.replicas'] = String(this.replicated.minInsyncReplicas);
    this.creating ??= (this.replicated ? this.replicated.createTopic(TXN_TOPIC, this.options.partitionCount, configs) : this.topics.createTopic(TXN_TOPIC, this.options.partitionCount, configs)).finally(() => {
      this.creating = null;
    });
    return this.creating;
  }

  /** This broker now leads `partition` of `__transaction_state`: its transactional ids are served here. */
  async becomeCoordinator(partition: Partition): Promise<void> {
    if (!this.owned || this.owned.has(partition.index) || this.loading.has(partition.index)) return;
    this.loading.add(partition.index);
    try {
      await this.load(partition);
      // Leadership moved on while the log was read: what was read is not ours to serve.
      if (partition.role !== 'leader') {
        this.unload(partition.index);
        return;
      }
      this.owned.add(partition.index);
    } finally {
      this.loading.delete(partition.index);
    }
    for (const m of [...this.txns.values()]) {
      if (this.indexOf(m.transactionalId) !== partition.index) continue;
      if (m.status !== TxnStatus.PREPARE_COMMIT && m.status !== TxnStatus.PREPARE_ABORT) continue;
      this.options.log.info(`completing transaction of '${m.transactionalId}' left prepared by the last coordinator`);
      this.exclusive(m.transactionalId, async () => {
        const current = this.txns.get(m.transactionalId);
        if (current && (current.status === TxnStatus.PREPARE_COMMIT || current.status === TxnStatus.PREPARE_ABORT)) await this.complete(current);
      }).catch((err: Error) => this.options.log.warn(`completing the transaction of '${m.transactionalId}' failed: ${err.message}`));
    }
  }

  /** This broker no longer leads partition `index`: its transactional ids are forgotten here. */
  resign(index: number): void {
    if (!this.owned) return;
    this.owned.delete(index);
    this.unload(index);
  }

  private unload(index: number): void {
    for (const id of [...this.txns.keys()]) if (this.indexOf(id) === index) this.txns.delete(id);
  }

  /**
   * Runs a client's call for a transactional id: refused with `refuse(error)` unless this broker
   * coordinates it, and a write that loses the coordination meanwhile answers its error too.
   */
  private async serve<T>(transactionalId: string, refuse: (errorCode: number) => T, work: () => Promise<T>): Promise<T> {
    const before = this.errorFor(transactionalId);
    if (before !== ErrorCode.NONE) return refuse(before);
    try {
      return await this.exclusive(transactionalId, () => {
        const now = this.errorFor(transactionalId);
        return now === ErrorCode.NONE ? work() : Promise.resolve(refuse(now));
      });
    } catch (err) {
      const errorCode = (err as { errorCode?: unknown }).errorCode;
      if (typeof errorCode === 'number') return refuse(errorCode);
      throw err;
    }
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
    await this.ensureTopic();
    const partitions = this.topics.get(TXN_TOPIC)!.partitions;
    return partitions[internalPartitionIndex(transactionalId, partitions.length)];
  }

  /** Writes a transactional id's state durably, in a cluster held by the ISR (null deletes it). */
  private async persist(transactionalId: string, m: TxnMetadata | null): Promise<void> {
    const partition = await this.stateLog(transactionalId);
    if (partition.role !== 'leader') throw new NotCoordinatorError(`this broker does not lead ${TXN_TOPIC}-${partition.index}, which holds '${transactionalId}'`);
    const batch = encodeRecordBatch({ records: [{ key: encodeTxnKey(transactionalId), value: m && encodeTxnValue(m), timestamp: this.options.now() }] });
    const epoch = partition.leaderEpoch;
    const { lastOffset } = partition.log.append(batch, epoch, null);
    await partition.log.flush();
    // Wakes the followers' fetches.
    partition.notifyNewData();
    await this.replicated?.awaitCommitted(partition, lastOffset + 1, epoch);
  }

  /** Checks the producer id and epoch a client sent; `fencedCode` is what an older epoch gets (PRODUCER_FENCED from the versions that know it). */
  private check(m: TxnMetadata | undefined, producerId: number, epoch: number, fencedCode: number): number {
    if (!m || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (epoch < m.producerEpoch) return fencedCode;
    if (epoch > m.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    return ErrorCode.NONE;
  }

  initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: number; producerEpoch: number }): Promise<ProducerIdAndEpoch> {
    const refuse = (errorCode: number) => ({ errorCode, producerId: -1, producerEpoch: -1 });
    return this.serve(transactionalId, refuse, async () => {
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
    const all = (code: number) => new Map(partitions.map((p) => [partitionKey(p.topic, p.partition), code]));
    return this.serve(transactionalId, all, async () => {
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
    // The group's partition, wherever it is led: its leader gets the marker.
    await this.offsets.ensureTopic();
    const partition = this.offsets.indexOf(groupId);
    const result = await this.addPartitions(transactionalId, producerId, epoch, [{ topic: OFFSETS_TOPIC, partition }], fencedCode);
    return [...result.values()][0];
  }

  endTransaction(transactionalId: string, producerId: number, epoch: number, committed: boolean, fencedCode: number): Promise<number> {
    return this.serve(transactionalId, (errorCode) => errorCode, async () => {
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

  /**
   * Writes the markers of a prepared transaction to its partitions, then records it complete. In a
   * cluster, partitions whose leaders cannot take their marker yet (moving, down) are tried again
   * for as long as this broker coordinates the transactional id.
   */
  private async complete(m: TxnMetadata): Promise<void> {
    const committed = m.status === TxnStatus.PREPARE_COMMIT;
    const coordinatorEpoch = Math.max((await this.stateLog(m.transactionalId)).leaderEpoch, 0);
    const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, committed, coordinatorEpoch };
    let remaining = [...m.partitions];
    for (let attempt = 0; remaining.length > 0; attempt++) {
      const results = await this.writeMarkers!(remaining, marker);
      for (const [key, errorCode] of results) {
        if (errorCode === ErrorCode.INVALID_PRODUCER_EPOCH) this.options.log.warn(`${key} holds a newer epoch of producer ${m.producerId} than ${m.producerEpoch}: its transaction there is over`);
      }
      const failed = remaining.filter((key) => !MARKER_SETTLED.has(results.get(key) ?? ErrorCode.UNKNOWN_SERVER_ERROR));
      if (failed.length === 0) break;
      const why = failed.map((key) => `${key}: ${errorName(results.get(key) ?? ErrorCode.UNKNOWN_SERVER_ERROR)}`).join(', ');
      if (this.owned === null) throw new Error(`writing the markers of '${m.transactionalId}' failed (${why})`);
      if (this.errorFor(m.transactionalId) !== ErrorCode.NONE) throw new NotCoordinatorError(`'${m.transactionalId}' moved to another coordinator while its markers were written`);
      if (attempt === 0) this.options.log.warn(`markers of '${m.transactionalId}' not written yet (${why}); trying again`);
      remaining = failed;
      await new Promise((resolve) => setTimeout(resolve, Math.min(MARKER_RETRY_BACKOFF_MS * 2 ** attempt, MARKER_RETRY_BACKOFF_MAX_MS)));
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
    const served = [...this.txns.values()].filter((t) => this.errorFor(t.transactionalId) === ErrorCode.NONE);
    for (const m of served.filter((t) => t.status === TxnStatus.PREPARE_COMMIT || t.status === TxnStatus.PREPARE_ABORT)) {
      await this.exclusive(m.transactionalId, async () => {
        const current = this.txns.get(m.transactionalId);
        if (current && (current.status === TxnStatus.PREPARE_COMMIT || current.status === TxnStatus.PREPARE_ABORT)) await this.complete(current);
      });
    }
    const now = this.options.now();
    const expired = served.filter((m) => m.status === TxnStatus.ONGOING && m.startMs + m.timeoutMs < now);
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
    const idle = [...this.txns.values()].filter((m) => this.errorFor(m.transactionalId) === ErrorCode.NONE && m.status !== TxnStatus.ONGOING && m.status !== TxnStatus.PREPARE_ABORT && m.status !== TxnStatus.PREPARE_COMMIT && m.lastUpdateMs < now - expirationMs);
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
