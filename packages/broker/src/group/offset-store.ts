import { Attribute, BatchField, decodeRecordBatch, encodeRecordBatch, ErrorCode } from '@millrace/protocol';
import { forEachBatch } from '../log-replay.ts';
import { decodeTxnMarker } from '@millrace/storage';
import type { Partition } from '../partition.ts';
import type { Topic, TopicManager } from '../topic-manager.ts';
import { internalPartitionIndex } from '../metadata/internal-topics.ts';
import { decodeGroupKey, decodeGroupValue, encodeGroupKey, encodeGroupValue, type GroupSnapshot } from './group-records.ts';
import { type CommittedOffset, decodeOffsetKey, decodeOffsetValue, encodeOffsetKey, encodeOffsetValue } from './offset-records.ts';

export const OFFSETS_TOPIC = '__consumer_offsets';

/** An offset committed inside a transaction that is not decided yet. */
interface PendingCommit {
  group: string;
  topic: string;
  partition: number;
  offset: CommittedOffset | null;
}

/** How a cluster changes a coordinator (groups or transactions): its internal topic is the cluster's, and a write counts once the ISR has it. */
export interface ReplicatedInternalTopic {
  /** Whether the cluster's metadata has the topic (a copy left from before the broker joined does not count). */
  hasTopic(name: string): boolean;
  createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<Topic>;
  /** Resolves once the records below `endOffset` are committed (the ISR holds them); throws otherwise. */
  /** Resolves once the ISR holds what `partition` has below `endOffset`, appended in leader epoch `epoch`. */
  awaitCommitted(partition: Partition, endOffset: number, epoch: number): Promise<void>;
}

/** Thrown when a write goes to a partition this broker does not lead: the group has moved. */
export class NotCoordinatorError extends Error {
  readonly errorCode = ErrorCode.NOT_COORDINATOR;
}

export interface OffsetCommit {
  topic: string;
  partition: number;
  offset: CommittedOffset;
}

/**
 * Committed offsets: kept in memory for OffsetFetch, and written to the internal compacted topic
 * `__consumer_offsets` (fsynced) before a commit is acknowledged; read back from it at start-up.
 */
export class OffsetStore {
  private readonly offsets = new Map<string, Map<string, CommittedOffset>>();
  /** The last group metadata stored for each group, as read at start-up (later writes are not kept here). */
  private readonly loadedGroups = new Map<string, GroupSnapshot>();
  private readonly topics: TopicManager;
  private readonly partitionCount: number;
  private creating: Promise<unknown> | null = null;
  /** Transactional commits by producer id, until their transaction ends. */
  private readonly pending = new Map<number, PendingCommit[]>();

  private readonly segmentBytes: number;
  private replicated: ReplicatedInternalTopic | null = null;

  private constructor(topics: TopicManager, partitionCount: number, segmentBytes: number) {
    this.topics = topics;
    this.partitionCount = partitionCount;
    this.segmentBytes = segmentBytes;
  }

  /** Loads the commits kept in `__consumer_offsets`; the topic itself is made on the first commit, as in Kafka. */
  static async open(topics: TopicManager, partitionCount: number, segmentBytes: number): Promise<OffsetStore> {
    const store = new OffsetStore(topics, partitionCount, segmentBytes);
    // An offline partition (its log is corrupt) is skipped: its groups start without their commits, and writes to it fail.
    for (const partition of topics.get(OFFSETS_TOPIC)?.partitions ?? []) if (!partition.log.offlineReason) await store.load(partition);
    return store;
  }

  /**
   * In a cluster: forgets what was read at start-up (partitions are loaded as this broker comes to
   * lead them), and creates the topic and confirms writes the cluster's way.
   */
  useCluster(replicated: ReplicatedInternalTopic): void {
    this.replicated = replicated;
    this.offsets.clear();
    this.loadedGroups.clear();
    this.pending.clear();
  }

  /** The index of the `__consumer_offsets` partition that holds a group (the topic is made if needed). */
  async partitionIndexFor(group: string): Promise<number> {
    return (await this.partitionFor(group)).index;
  }

  /** The partition index of a group, from the configured partition count (the topic need not exist yet). */
  indexOf(group: string): number {
    return internalPartitionIndex(group, this.topics.get(OFFSETS_TOPIC)?.partitions.length ?? this.partitionCount);
  }

  /** Makes the topic if it does not exist yet (in a cluster, in the cluster's metadata). */
  ensureTopic(): Promise<unknown> {
    if (this.replicated ? this.replicated.hasTopic(OFFSETS_TOPIC) : this.topics.get(OFFSETS_TOPIC)) return Promise.resolve();
    const configs = { 'cleanup.policy': 'compact', 'segment.bytes': String(this.segmentBytes) };
    this.creating ??= (this.replicated ? this.replicated.createTopic(OFFSETS_TOPIC, this.partitionCount, configs) : this.topics.createTopic(OFFSETS_TOPIC, this.partitionCount, configs)).finally(() => {
      this.creating = null;
    });
    return this.creating;
  }

  private async partitionFor(group: string): Promise<Partition> {
    await this.ensureTopic();
    const partitions = this.topics.get(OFFSETS_TOPIC)!.partitions;
    const partition = partitions[internalPartitionIndex(group, partitions.length)];
    if (partition.role !== 'leader') throw new NotCoordinatorError(`this broker does not lead ${OFFSETS_TOPIC}-${partition.index}, which holds group ${group}`);
    return partition;
  }

  /** Appends to a partition this broker leads, and resolves once the write counts (synced; in a cluster, held by the ISR). */
  private async append(partition: Partition, batch: Buffer): Promise<void> {
    const epoch = partition.leaderEpoch;
    const { lastOffset } = partition.log.append(batch, epoch, null);
    await partition.log.flush();
    partition.notifyNewData();
    await this.replicated?.awaitCommitted(partition, lastOffset + 1, epoch);
  }

  /** Reads a partition's commits and groups (a broker that now coordinates its groups). */
  loadPartition(partition: Partition): Promise<void> {
    return this.load(partition);
  }

  /** Forgets the groups of a partition this broker no longer coordinates. */
  unloadPartition(index: number): void {
    const here = (group: string) => this.indexOf(group) === index;
    for (const group of [...this.offsets.keys()]) if (here(group)) this.offsets.delete(group);
    for (const group of [...this.loadedGroups.keys()]) if (here(group)) this.loadedGroups.delete(group);
    for (const [producerId, commits] of this.pending) {
      const kept = commits.filter((c) => !here(c.group));
      if (kept.length > 0) this.pending.set(producerId, kept);
      else this.pending.delete(producerId);
    }
  }

  private load(partition: Partition): Promise<void> {
    return forEachBatch(partition.log, (batch) => {
      const attributes = batch.readInt16BE(BatchField.ATTRIBUTES);
      const producerId = Number(batch.readBigInt64BE(BatchField.PRODUCER_ID));
      if (attributes & Attribute.CONTROL) {
        const marker = decodeTxnMarker(batch);
        if (marker) this.completeTransaction(producerId, marker.committed);
        return;
      }
      const transactional = (attributes & Attribute.TRANSACTIONAL) !== 0;
      for (const record of decodeRecordBatch(batch)) {
        const key = record.key && decodeOffsetKey(record.key);
        if (key && transactional) this.addPending(producerId, { group: key.group, topic: key.topic, partition: key.partition, offset: record.value && decodeOffsetValue(record.value) });
        else if (key) this.apply(key.group, key.topic, key.partition, record.value && decodeOffsetValue(record.value));
        const group = record.key && !key ? decodeGroupKey(record.key) : null;
        if (group !== null) {
          if (record.value) this.loadedGroups.set(group, decodeGroupValue(record.value));
          else this.loadedGroups.delete(group);
        }
      }
    });
  }


  private apply(group: string, topic: string, partition: number, value: CommittedOffset | null): void {
    const key = `${topic}\u0000${partition}`;
    if (value === null) {
      this.offsets.get(group)?.delete(key);
      return;
    }
    if (!this.offsets.has(group)) this.offsets.set(group, new Map());
    this.offsets.get(group)!.set(key, value);
  }

  /** Writes the commits durably, then makes them visible to OffsetFetch. */
  async commit(group: string, commits: OffsetCommit[]): Promise<void> {
    await this.write(group, commits.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.offset })), 0);
  }

  /** Deletes committed offsets with durable tombstones (DeleteGroups, OffsetDelete, retention). */
  async delete(group: string, partitions: { topic: string; partition: number }[], now: number): Promise<void> {
    await this.write(group, partitions.map((p) => ({ ...p, offset: null })), now);
  }

  private async write(group: string, entries: { topic: string; partition: number; offset: CommittedOffset | null }[], now: number): Promise<void> {
    if (entries.length === 0) return;
    const partition = await this.partitionFor(group);
    const batch = encodeRecordBatch({
      records: entries.map((e) => ({
        key: encodeOffsetKey({ group, topic: e.topic, partition: e.partition }),
        value: e.offset && encodeOffsetValue(e.offset),
        timestamp: e.offset?.commitTimestamp ?? now,
      })),
    });
    await this.append(partition, batch);
    for (const e of entries) this.apply(group, e.topic, e.partition, e.offset);
  }

  /**
   * TxnOffsetCommit: writes the commits as a transactional batch of the producer, durably, and holds
   * them aside until the transaction's marker: a commit makes them visible, an abort drops them.
   * A producer whose epoch is older than the partition knows gets INVALID_PRODUCER_EPOCH (thrown).
   */
  async commitTransactional(group: string, producerId: number, producerEpoch: number, commits: OffsetCommit[]): Promise<void> {
    if (commits.length === 0) return;
    const partition = await this.partitionFor(group);
    const batch = encodeRecordBatch({
      attributes: Attribute.TRANSACTIONAL,
      producerId: BigInt(producerId),
      producerEpoch,
      baseSequence: -1,
      records: commits.map((c) => ({ key: encodeOffsetKey({ group, topic: c.topic, partition: c.partition }), value: encodeOffsetValue(c.offset), timestamp: c.offset.commitTimestamp })),
    });
    await this.append(partition, batch);
    for (const c of commits) this.addPending(producerId, { group, topic: c.topic, partition: c.partition, offset: c.offset });
  }

  private addPending(producerId: number, commit: PendingCommit): void {
    if (!this.pending.has(producerId)) this.pending.set(producerId, []);
    this.pending.get(producerId)!.push(commit);
  }

  /** A transaction marker for `producerId` reached `__consumer_offsets`: its pending commits apply, or are dropped. */
  completeTransaction(producerId: number, committed: boolean): void {
    const commits = this.pending.get(producerId) ?? [];
    this.pending.delete(producerId);
    if (committed) for (const c of commits) this.apply(c.group, c.topic, c.partition, c.offset);
  }

  /** A transaction that is not decided yet holds a commit for this partition (OffsetFetch with require_stable waits for it). */
  hasPendingCommit(group: string, topic: string, partition: number): boolean {
    for (const commits of this.pending.values()) if (commits.some((c) => c.group === group && c.topic === topic && c.partition === partition)) return true;
    return false;
  }

  /** Writes a group's membership and generation (null: the group is deleted), durably. */
  async storeGroup(group: string, snapshot: GroupSnapshot | null, now: number): Promise<void> {
    const partition = await this.partitionFor(group);
    const batch = encodeRecordBatch({ records: [{ key: encodeGroupKey(group), value: snapshot && encodeGroupValue(snapshot), timestamp: now }] });
    await this.append(partition, batch);
  }

  /** Groups as they were stored before the last shutdown. */
  storedGroups(): Map<string, GroupSnapshot> {
    return this.loadedGroups;
  }

  fetch(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(group)?.get(`${topic}\u0000${partition}`);
  }

  /** Every committed partition of a group, for OffsetFetch with null topics. */
  committed(group: string): { topic: string; partition: number; offset: CommittedOffset }[] {
    return [...(this.offsets.get(group) ?? new Map<string, CommittedOffset>()).entries()].map(([key, offset]) => {
      const [topic, partition] = key.split('\u0000');
      return { topic, partition: Number(partition), offset };
    });
  }

  groupIds(): string[] {
    return [...this.offsets.keys()].filter((g) => this.offsets.get(g)!.size > 0);
  }
}
