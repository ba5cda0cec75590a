import { ErrorCode, type KafkaRecord, type RecordHeader } from '@millrace/protocol';
import { type Assignor, cooperativeStickyAssignor, rangeAssignor } from './assignors.ts';
import { Cluster, type ClusterOptions } from './cluster.ts';
import type { TopicPartitions } from './consumer-protocol.ts';
import { ClientError, KafkaError } from './errors.ts';
import { type Chunk, Fetcher, type FetcherOptions, newPartitionState, type PartitionState } from './fetcher.ts';
import { GroupMember } from './group-member.ts';
import { commitOffsets, EARLIEST, fetchCommitted, fetchCommittedWithMetadata, LATEST, listOffsets, type TopicPartitionOffset } from './offsets.ts';
import { partitionKey, type TopicPartition, toList } from './topic-partitions.ts';

export interface ConsumerOptions extends ClusterOptions {
  /** The consumer group: needed by `subscribe` and by commits. */
  groupId?: string;
  /** Static membership: a member restarted within its session timeout gets its partitions back without a rebalance. */
  groupInstanceId?: string;
  /** Default 45 s: how long the group waits for a silent member before giving its partitions away. */
  sessionTimeoutMs?: number;
  /** Default 300 s: how long a rebalance waits for members to rejoin (max.poll.interval.ms). */
  rebalanceTimeoutMs?: number;
  /** Default 3 s. */
  heartbeatIntervalMs?: number;
  /** In order of preference; default cooperative-sticky, then range. */
  assignors?: Assignor[];
  /** Default true: commits the offsets of records the application has finished with, every `autoCommitIntervalMs`, at rebalances and at close. */
  autoCommit?: boolean;
  /** Default 5 s. */
  autoCommitIntervalMs?: number;
  /** Where to start a partition without a committed offset, or whose offset is out of range. Default 'latest'. */
  autoOffsetReset?: 'earliest' | 'latest' | 'none';
  /** 'read_committed' skips records of aborted transactions and stops at open ones. Default 'read_uncommitted'. */
  isolation?: 'read_committed' | 'read_uncommitted';
  /** Default 500 ms: how long the broker may hold a fetch waiting for `minBytes`. */
  maxWaitMs?: number;
  /** Default 1. */
  minBytes?: number;
  /** Default 50 MiB per fetch answer. */
  maxBytes?: number;
  /**
   * Bytes per partition per fetch. Default 1 MiB as Kafka's, but for fetches of fewer than 8
   * partitions, which share 8 MiB equally (a single partition is fetched 8 MiB at a time).
   */
  maxPartitionBytes?: number;
  /** Default 64 MiB: fetched bytes held ahead of the application. */
  maxBufferedBytes?: number;
  /** Default 300 s: how often subscribed topics are checked for new partitions. */
  metadataMaxAgeMs?: number;
  retryBackoffMs?: number;
  /** Called after partitions were assigned to this consumer (also with none, after every rebalance). */
  onPartitionsAssigned?: (partitions: TopicPartition[]) => void | Promise<void>;
  /** Called before partitions are given up in a rebalance (after auto-commit), while their offsets can still be committed. */
  onPartitionsRevoked?: (partitions: TopicPartition[]) => void | Promise<void>;
  /** Called when partitions were taken away without a rebalance (the session expired): their offsets can no longer be committed. Default: onPartitionsRevoked. */
  onPartitionsLost?: (partitions: TopicPartition[]) => void | Promise<void>;
}

/** The fetch settings of a consumer: the defaults are librdkafka's (and the Java client's). */
export function fetcherOptions(options: Partial<ConsumerOptions>): FetcherOptions {
  return {
    maxWaitMs: options.maxWaitMs ?? 500,
    minBytes: options.minBytes ?? 1,
    maxBytes: options.maxBytes ?? 50 << 20,
    maxPartitionBytes: options.maxPartitionBytes ?? null,
    maxBufferedBytes: options.maxBufferedBytes ?? 64 << 20,
    readCommitted: options.isolation === 'read_committed',
    retryBackoffMs: options.retryBackoffMs ?? 100,
  };
}

/** The records of one partition, as one fetch brought them. */
export interface ConsumedBatch {
  topic: string;
  partition: number;
  records: KafkaRecord[];
  /** The partition's high watermark when fetched: `highWatermark - (last offset + 1)` is the lag. */
  highWatermark: number;
}

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** The group membership a transactional producer's `sendOffsets` needs. */
export interface ConsumerGroupMetadata {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

/**
 * A Kafka consumer: joins a group with `subscribe` (partitions assigned by the group, cooperative-
 * sticky by default) or reads chosen partitions with `assign`; `batches()` and `records()` are
 * async iterators over what it fetches ahead. A batch counts as processed when the loop asks for the
 * next one; auto-commit stores only processed offsets (at least once: a batch the loop left with
 * `break` or an exception is delivered again after a restart).
 */
export class Consumer {
  private readonly cluster: Cluster;
  private readonly options: ConsumerOptions;
  private readonly fetcher: Fetcher;
  private readonly readCommitted: boolean;
  private member: GroupMember | null = null;
  private subscription: string[] = [];
  private mode: 'none' | 'subscribe' | 'assign' = 'none';
  /** The chunk handed to the application and not yet processed. */
  private current: Chunk | null = null;
  private currentDone: (() => void)[] = [];
  private iterating = false;
  private autoCommitTimer: NodeJS.Timeout | null = null;
  private metadataTimer: NodeJS.Timeout | null = null;
  private committing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: ConsumerOptions) {
    this.options = options;
    this.cluster = new Cluster(options);
    this.readCommitted = options.isolation === 'read_committed';
    if (options.isolation !== undefined && options.isolation !== 'read_committed' && options.isolation !== 'read_uncommitted') {
      throw new ClientError('MILLRACE_INVALID_ARGUMENT', `isolation must be 'read_committed' or 'read_uncommitted', not "${options.isolation}"`);
    }
    if (!['earliest', 'latest', 'none', undefined].includes(options.autoOffsetReset)) {
      throw new ClientError('MILLRACE_INVALID_ARGUMENT', `autoOffsetReset must be 'earliest', 'latest' or 'none', not "${options.autoOffsetReset}"`);
    }
    this.fetcher = new Fetcher(this.cluster, fetcherOptions(options), (states) => this.resolvePositions(states));
    if (options.autoCommit ?? true) {
      this.autoCommitTimer = setInterval(() => void this.commitProcessed().catch(() => undefined), options.autoCommitIntervalMs ?? 5000);
      this.autoCommitTimer.unref();
    }
  }

  /** Joins the group (options.groupId) and consumes the partitions it assigns of `topics`; called again, changes the subscription. */
  subscribe(topics: string[]): void {
    this.ensureOpen();
    if (this.mode === 'assign') throw new ClientError('MILLRACE_INVALID_ARGUMENT', 'this consumer was given partitions with assign(); it cannot also subscribe');
    if (!this.options.groupId) throw new ClientError('MILLRACE_INVALID_ARGUMENT', 'subscribe needs a groupId');
    if (topics.length === 0) throw new ClientError('MILLRACE_INVALID_ARGUMENT', 'subscribe to at least one topic');
    this.mode = 'subscribe';
    this.subscription = [...new Set(topics)];
    if (this.member) return this.member.requestRejoin();
    this.member = this.newMember(this.options.groupId);
    this.member.start();
    const every = this.options.metadataMaxAgeMs ?? 300_000;
    this.metadataTimer = setInterval(() => void this.member?.checkPartitionCounts().catch(() => undefined), every);
    this.metadataTimer.unref();
  }

  /**
   * Consumes exactly these partitions, without group membership, from `offset` when given, else
   * from the group's committed offset (if a groupId is set), else by autoOffsetReset. Replaces any
   * earlier assignment.
   */
  assign(partitions: (TopicPartition & { offset?: number })[]): void {
    this.ensureOpen();
    if (this.mode === 'subscribe') throw new ClientError('MILLRACE_INVALID_ARGUMENT', 'this consumer subscribed to topics; it cannot also assign partitions');
    this.mode = 'assign';
    const wanted = new Set(partitions.map((p) => partitionKey(p.topic, p.partition)));
    for (const s of [...this.fetcher.states.values()]) if (!wanted.has(partitionKey(s.topic, s.partition))) this.fetcher.remove(s.topic, s.partition);
    for (const p of partitions) {
      if (p.offset !== undefined && (!Number.isInteger(p.offset) || p.offset < 0)) throw new ClientError('MILLRACE_INVALID_ARGUMENT', `offset ${p.offset} for ${p.topic}-${p.partition} is not an offset`);
      const existing = this.fetcher.states.get(partitionKey(p.topic, p.partition));
      if (existing) {
        if (p.offset !== undefined) this.seek({ ...p, offset: p.offset });
      } else {
        this.fetcher.add(newPartitionState(p.topic, p.partition, p.offset ?? null));
      }
    }
  }

  /** The partitions this consumer holds now. */
  assignment(): TopicPartition[] {
    return [...this.fetcher.states.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /** Continues `topic`-`partition` from `offset`: what was fetched beyond is dropped. */
  seek(target: TopicPartitionOffset): void {
    const state = this.stateOf(target);
    if (!Number.isInteger(target.offset) || target.offset < 0) throw new ClientError('MILLRACE_INVALID_ARGUMENT', `offset ${target.offset} is not an offset`);
    this.fetcher.restartAt(state, target.offset);
    state.processed = target.offset;
    state.resetNeeded = false;
  }

  /** The next offset this consumer hands out for a partition (null while not yet known). */
  position(target: TopicPartition): number | null {
    return this.stateOf(target).position;
  }

  /**
   * Where the partition ended when last fetched (the high watermark; under read_committed the last
   * stable offset), or null before its first fetch: `endOffset - position` is what is left to read.
   */
  endOffset(target: TopicPartition): number | null {
    const end = this.stateOf(target).endOffset;
    return end < 0 ? null : end;
  }

  /** Stops fetching these partitions (they stay assigned) until `resume`. */
  pause(partitions: TopicPartition[]): void {
    for (const p of partitions) {
      const state = this.stateOf(p);
      if (state.paused) continue;
      state.paused = true;
      this.fetcher.restartAt(state, state.position);
    }
  }

  resume(partitions: TopicPartition[]): void {
    for (const p of partitions) this.stateOf(p).paused = false;
    this.fetcher.kick();
  }

  paused(): TopicPartition[] {
    return [...this.fetcher.states.values()].filter((s) => s.paused).map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /** The group's committed offsets of these partitions (-1 where none). */
  /** The group's committed offsets (-1 where none), with the metadata committed beside them. */
  async committed(partitions: TopicPartition[]): Promise<TopicPartitionOffset[]> {
    const offsets = await fetchCommittedWithMetadata(this.cluster, this.requireGroup(), partitions, this.readCommitted);
    return partitions.map((p) => {
      const c = offsets.get(partitionKey(p.topic, p.partition));
      return { ...p, offset: c?.offset ?? -1, metadata: c?.metadata ?? '' };
    });
  }

  /**
   * Commits `offsets` (each the offset of the next record to read), or without arguments the
   * position of every partition: everything handed out so far, the batch in hand included.
   */
  async commit(offsets?: TopicPartitionOffset[]): Promise<void> {
    const groupId = this.requireGroup();
    const states = [...this.fetcher.states.values()];
    const chosen = offsets ?? states.filter((s) => s.position !== null && s.position !== s.committed).map((s) => ({ topic: s.topic, partition: s.partition, offset: s.position! }));
    await this.serialized(async () => {
      await commitOffsets(this.cluster, groupId, this.committer(), chosen);
      for (const o of chosen) {
        const s = this.fetcher.states.get(partitionKey(o.topic, o.partition));
        if (!s) continue;
        s.committed = o.offset;
        // The application declared these records done: a later auto-commit must not store less.
        s.processed = o.offset;
      }
    });
  }

  /**
   * Gives up every assigned partition as lost (`onPartitionsLost`; nothing is committed) and joins
   * the group again; the partitions come back, from their committed offsets, wherever the group
   * puts them. For an application told by a failed commit that the group went on without it.
   */
  abandonAssignment(): void {
    this.requireGroup();
    this.member?.abandon();
  }

  /** The membership a transactional producer's sendOffsets needs, for exactly-once pipelines. */
  groupMetadata(): ConsumerGroupMetadata {
    const groupId = this.requireGroup();
    return this.member?.metadata ?? { groupId, generationId: -1, memberId: '', groupInstanceId: null };
  }

  /**
   * Fetched batches, one partition each, in the order they arrived; ends when the consumer closes.
   * With `includeEmpty`, also the batches of fetches that brought no records but moved the position
   * (past transaction markers or aborted records): a reader waiting for a partition's position to
   * reach an end offset then sees every move.
   */
  async *batches(options: { includeEmpty?: boolean } = {}): AsyncGenerator<ConsumedBatch, void, undefined> {
    for await (const chunk of this.chunks(options.includeEmpty ?? false)) yield { topic: chunk.state.topic, partition: chunk.state.partition, records: chunk.records, highWatermark: chunk.highWatermark };
  }

  /**
   * Fetched records one by one; see `batches`. Leaving the loop in the middle of a batch rewinds its
   * partition to the record after the last one seen, so the next loop continues exactly there.
   */
  async *records(): AsyncGenerator<ConsumedRecord, void, undefined> {
    let chunk: Chunk | null = null;
    let index = 0;
    try {
      for await (chunk of this.chunks()) {
        const { topic, partition } = chunk.state;
        for (index = 0; index < chunk.records.length; index++) {
          const r = chunk.records[index];
          // Asking for this record means the ones before it are done.
          if (index > 0 && chunk.epoch === chunk.state.epoch) chunk.state.processed = r.offset;
          yield { topic, partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers };
        }
      }
    } finally {
      const rest = chunk?.records[index + 1];
      if (chunk && rest && chunk.epoch === chunk.state.epoch && !this.closed) this.fetcher.restartAt(chunk.state, rest.offset);
    }
  }

  /** The chunks for the application; each counts as processed when the next one is asked for. */
  private async *chunks(includeEmpty = false): AsyncGenerator<Chunk, void, undefined> {
    if (this.iterating) throw new ClientError('MILLRACE_INVALID_ARGUMENT', 'a consumer has one iterator at a time');
    this.iterating = true;
    try {
      for (;;) {
        const chunk = await this.fetcher.next();
        if (!chunk) return;
        if (chunk.records.length === 0 && !includeEmpty) {
          chunk.state.processed = chunk.nextOffset;
          continue;
        }
        this.current = chunk;
        yield chunk;
        if (chunk.epoch === chunk.state.epoch) chunk.state.processed = chunk.nextOffset;
        this.finishCurrent();
      }
    } finally {
      this.finishCurrent();
      this.iterating = false;
    }
  }

  /** Leaves the group (committing processed offsets first, if auto-commit is on) and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.autoCommitTimer) clearInterval(this.autoCommitTimer);
    if (this.metadataTimer) clearInterval(this.metadataTimer);
    this.fetcher.close();
    try {
      if (this.member) await this.member.stop();
      else if (this.options.groupId && (this.options.autoCommit ?? true)) await this.commitProcessed().catch(() => undefined);
    } finally {
      this.cluster.close();
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw new ClientError('MILLRACE_CLIENT_CLOSED', 'the consumer is closed');
  }

  private requireGroup(): string {
    if (!this.options.groupId) throw new ClientError('MILLRACE_INVALID_ARGUMENT', 'committed offsets need a groupId');
    return this.options.groupId;
  }

  private stateOf(p: TopicPartition): PartitionState {
    const state = this.fetcher.states.get(partitionKey(p.topic, p.partition));
    if (!state) throw new ClientError('MILLRACE_INVALID_ARGUMENT', `${p.topic}-${p.partition} is not assigned to this consumer`);
    return state;
  }

  private committer(): { generationId: number; memberId: string; groupInstanceId: string | null } {
    return this.member ? this.member.metadata : { generationId: -1, memberId: '', groupInstanceId: null };
  }

  /** Runs commits one after another, so that an older one never lands after a newer one. */
  private serialized(commit: () => Promise<void>): Promise<void> {
    const run = this.committing.then(commit);
    this.committing = run.catch(() => undefined);
    return run;
  }

  /** Commits the processed offsets that changed since the last commit (auto-commit). */
  private commitProcessed(partitions?: TopicPartitions): Promise<void> {
    const groupId = this.options.groupId;
    if (!groupId) return Promise.resolve();
    const keys = partitions ? new Set(toList(partitions).map((p) => partitionKey(p.topic, p.partition))) : null;
    const states = [...this.fetcher.states.values()].filter((s) => s.processed !== null && s.processed !== s.committed && (!keys || keys.has(partitionKey(s.topic, s.partition))));
    if (states.length === 0) return Promise.resolve();
    const offsets = states.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.processed! }));
    return this.serialized(async () => {
      await commitOffsets(this.cluster, groupId, this.committer(), offsets);
      states.forEach((s, i) => (s.committed = offsets[i].offset));
    });
  }

  private finishCurrent(): void {
    this.current = null;
    for (const wake of this.currentDone.splice(0)) wake();
  }

  /** Waits until the application is done with the batch in hand, if it is one of `partitions` (at most the rebalance timeout). */
  private async batchDone(partitions: TopicPartitions): Promise<void> {
    const current = this.current;
    if (!current || !(partitions.get(current.state.topic) ?? []).includes(current.state.partition)) return;
    const limit = this.options.rebalanceTimeoutMs ?? 300_000;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, limit);
      this.currentDone.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private newMember(groupId: string): GroupMember {
    const options = this.options;
    return new GroupMember(this.cluster, {
      groupId,
      groupInstanceId: options.groupInstanceId ?? null,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 45_000,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 300_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3000,
      assignors: options.assignors ?? [cooperativeStickyAssignor, rangeAssignor],
    }, {
      topics: () => this.subscription,
      partitionCounts: (topics) => this.partitionCounts(topics),
      assigned: async (partitions) => {
        for (const p of toList(partitions)) if (!this.fetcher.states.has(partitionKey(p.topic, p.partition))) this.fetcher.add(newPartitionState(p.topic, p.partition, null));
        await options.onPartitionsAssigned?.(toList(partitions));
      },
      revoked: async (partitions) => {
        for (const p of toList(partitions)) {
          const state = this.fetcher.states.get(partitionKey(p.topic, p.partition));
          if (state) state.revoking = true;
        }
        await this.batchDone(partitions);
        if (options.autoCommit ?? true) await this.commitProcessed(partitions).catch(() => undefined);
        try {
          await options.onPartitionsRevoked?.(toList(partitions));
        } finally {
          for (const p of toList(partitions)) this.fetcher.remove(p.topic, p.partition);
        }
      },
      lost: async (partitions) => {
        for (const p of toList(partitions)) this.fetcher.remove(p.topic, p.partition);
        await (options.onPartitionsLost ?? options.onPartitionsRevoked)?.(toList(partitions));
      },
      failed: (err) => this.fetcher.fail(err),
    });
  }

  private async partitionCounts(topics: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (topics.length === 0) return counts;
    await this.cluster.refresh(topics);
    for (const topic of topics) {
      const partitions = await this.cluster.topicPartitions(topic).catch(() => null);
      if (partitions) counts.set(topic, partitions.length);
    }
    return counts;
  }

  /** Positions for partitions that have none: the group's committed offset, else the reset policy. */
  private async resolvePositions(states: PartitionState[]): Promise<void> {
    const groupId = this.options.groupId;
    const fromCommit = states.filter((s) => !s.resetNeeded);
    const committed = groupId && fromCommit.length > 0 ? await fetchCommitted(this.cluster, groupId, fromCommit, this.readCommitted) : new Map<string, number>();
    const toReset: PartitionState[] = [];
    for (const s of states) {
      const offset = s.resetNeeded ? -1 : (committed.get(partitionKey(s.topic, s.partition)) ?? -1);
      if (offset < 0) toReset.push(s);
      else if (this.place(s, offset)) s.committed = offset;
    }
    if (toReset.length === 0) return;
    const policy = this.options.autoOffsetReset ?? 'latest';
    if (policy === 'none') {
      const s = toReset[0];
      if (s.resetNeeded) throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, { api: 'Fetch', topic: s.topic, partition: s.partition, message: `offset ${s.processed} is out of range and autoOffsetReset is 'none'` });
      throw new ClientError('MILLRACE_NO_OFFSET', `${s.topic}-${s.partition} has no committed offset and autoOffsetReset is 'none'`);
    }
    const offsets = await listOffsets(this.cluster, toReset, policy === 'earliest' ? EARLIEST : LATEST, this.readCommitted);
    for (const s of toReset) {
      const offset = offsets.get(partitionKey(s.topic, s.partition));
      if (offset !== undefined && offset >= 0) this.place(s, offset);
    }
  }

  /** Starts a partition at `offset`, unless it was revoked or sought meanwhile. */
  private place(state: PartitionState, offset: number): boolean {
    if (this.fetcher.states.get(partitionKey(state.topic, state.partition)) !== state || state.fetchOffset !== null) return false;
    if (state.processed === null || state.resetNeeded) state.processed = offset;
    state.resetNeeded = false;
    state.fetchOffset = offset;
    state.position = offset;
    state.failures = 0;
    this.fetcher.kick();
    return true;
  }
}
