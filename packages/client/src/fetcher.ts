import { ApiKey, createFetchRequest, createFetchRequestFetchPartition, createFetchRequestFetchTopic, ErrorCode, type FetchRequest, type FetchResponse, isRetriable, type KafkaRecord } from '@millrace/protocol';
import { type Cluster, isTransient } from './cluster.ts';
import { KafkaError } from './errors.ts';
import { decodeFetchedBatches, type FetchedBatches, scanFetchedBatches } from './fetched-records.ts';
import { byTopic, partitionKey, type TopicPartition } from './topic-partitions.ts';

/** v4 is the first with isolation levels and aborted transactions; v13 names topics by id only. */
const FETCH_VERSIONS = [4, 12] as const;

/** Where the consumer is in one assigned partition. */
export interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to fetch; null until known (committed offset or reset policy). */
  fetchOffset: number | null;
  /** Next offset to hand to the application. */
  position: number | null;
  /** The offset after the last record the application has finished with (what auto-commit stores). */
  processed: number | null;
  /** The last offset committed by this consumer, to skip commits that change nothing. */
  committed: number | null;
  /** The position must come from the reset policy, not the committed offset (after OFFSET_OUT_OF_RANGE). */
  resetNeeded: boolean;
  paused: boolean;
  /** Being given up in a rebalance: nothing more of it is fetched or handed out. */
  revoking: boolean;
  /** Bumped by seek, pause and revocation: fetched data of an older epoch is dropped. */
  epoch: number;
  inFlight: boolean;
  /** Fetched chunks waiting to be handed out. */
  chunks: number;
  /** No fetch before this time (after a retriable error). */
  retryAt: number;
  failures: number;
  highWatermark: number;
  /** Where reading ends as of the last fetch answer: the high watermark, or under read_committed the last stable offset. */
  endOffset: number;
}

/** The records of one partition from one fetch answer. */
export interface Chunk {
  state: PartitionState;
  epoch: number;
  /** Decoded when handed out, while the next fetch is already on its way. */
  fetched: FetchedBatches;
  records: KafkaRecord[];
  nextOffset: number;
  highWatermark: number;
  bytes: number;
}

export interface FetcherOptions {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  /** Fixed bytes per partition per fetch, or null for an equal share (see `partitionShare`). */
  maxPartitionBytes: number | null;
  /** Fetched bytes held for the application before fetching pauses. */
  maxBufferedBytes: number;
  readCommitted: boolean;
  retryBackoffMs: number;
}

export function newPartitionState(topic: string, partition: number, offset: number | null): PartitionState {
  return {
    topic, partition, fetchOffset: offset, position: offset, processed: offset, committed: null, resetNeeded: false, paused: false, revoking: false,
    epoch: 0, inFlight: false, chunks: 0, retryAt: 0, failures: 0, highWatermark: -1, endOffset: -1,
  };
}

/** The smallest and the shared bytes per fetch of the default per-partition limit. */
const PARTITION_SHARE_MIN = 1 << 20;
const SHARED_FETCH_BYTES = 8 << 20;

/**
 * Bytes per partition when the application set none: 1 MiB (Kafka's default) when 8 or more
 * partitions are fetched together, else an equal share of 8 MiB. A lone partition is read as
 * fetches of 8 MiB instead of 1: measured about 1.6x the throughput, since each fetch is a round
 * trip; with many partitions every one still gets the same share, as with Kafka's default.
 */
export function partitionShare(partitionsInFetch: number): number {
  return Math.max(PARTITION_SHARE_MIN, Math.floor(SHARED_FETCH_BYTES / Math.max(1, partitionsInFetch)));
}

/** A full fetch (no fetch session, as librdkafka sends) of `partitions` from their offsets. */
export function fetchRequest(options: FetcherOptions, partitions: (TopicPartition & { offset: number })[]): FetchRequest {
  const { maxWaitMs, minBytes, maxBytes, readCommitted } = options;
  const maxPartitionBytes = options.maxPartitionBytes ?? partitionShare(partitions.length);
  return createFetchRequest({
    replicaId: -1, maxWaitMs, minBytes, maxBytes, isolationLevel: readCommitted ? 1 : 0, sessionId: 0, sessionEpoch: -1,
    topics: [...byTopic(partitions)].map(([topic, ps]) => createFetchRequestFetchTopic({
      topic,
      partitions: ps.map((p) => createFetchRequestFetchPartition({ partition: p.partition, fetchOffset: BigInt(p.offset), partitionMaxBytes: maxPartitionBytes })),
    })),
  });
}

/**
 * Fetches the assigned partitions ahead of the application: one Fetch in flight per leader, for
 * every partition that is not paused, not waiting to be retried, and has at most one fetched chunk
 * not yet handed out, while the fetched bytes stay under `maxBufferedBytes`. `next` hands chunks
 * out in the order they arrived.
 */
export class Fetcher {
  private readonly cluster: Cluster;
  private readonly options: FetcherOptions;
  /** Finds positions for partitions that have none (committed offsets, reset policy). */
  private readonly resolvePositions: (states: PartitionState[]) => Promise<void>;
  readonly states = new Map<string, PartitionState>();
  private readonly ready: Chunk[] = [];
  private bufferedBytes = 0;
  private readonly nodesInFlight = new Set<number>();
  private resolving = false;
  private pumpScheduled = false;
  /** A pump is running (it awaits metadata): another must wait, or both would fetch the same offsets. */
  private pumping = false;
  private pumpAgain = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private waiter: (() => void) | null = null;
  private fatal: Error | null = null;
  private closed = false;

  constructor(cluster: Cluster, options: FetcherOptions, resolvePositions: (states: PartitionState[]) => Promise<void>) {
    this.cluster = cluster;
    this.options = options;
    this.resolvePositions = resolvePositions;
  }

  add(state: PartitionState): void {
    this.states.set(partitionKey(state.topic, state.partition), state);
    this.kick();
  }

  remove(topic: string, partition: number): void {
    const state = this.states.get(partitionKey(topic, partition));
    if (!state) return;
    state.epoch++;
    this.states.delete(partitionKey(topic, partition));
  }

  /** Drops what was fetched for `state` and fetches again from `offset` (seek, pause, resume). */
  restartAt(state: PartitionState, offset: number | null): void {
    state.epoch++;
    state.fetchOffset = offset;
    state.position = offset;
    state.retryAt = 0;
    this.kick();
  }

  /** Stops with an error the application sees at its next `next`. */
  fail(err: Error): void {
    this.fatal ??= err;
    this.notify();
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.notify();
  }

  /** The next fetched chunk of a still-assigned partition, or null once closed. */
  async next(): Promise<Chunk | null> {
    for (;;) {
      if (this.fatal) throw this.fatal;
      if (this.closed) return null;
      const chunk = this.ready.shift();
      if (!chunk) {
        await new Promise<void>((resolve) => (this.waiter = resolve));
        continue;
      }
      this.bufferedBytes -= chunk.bytes;
      chunk.state.chunks--;
      this.kick();
      if (chunk.epoch !== chunk.state.epoch || chunk.state.paused || chunk.state.revoking) continue;
      try {
        chunk.records = decodeFetchedBatches(chunk.fetched);
      } catch (err) {
        // A batch that fails its CRC or cannot be read: never skipped silently.
        this.fail(new Error(`${chunk.state.topic}-${chunk.state.partition}: the records fetched from offset ${chunk.fetched.fetchOffset} cannot be read: ${(err as Error).message}`, { cause: err }));
        continue;
      }
      chunk.state.position = chunk.nextOffset;
      return chunk;
    }
  }

  /**
   * Wakes the application in the next check phase rather than now: the fetch that follows this one
   * (started by microtasks queued meanwhile) then leaves before the application spends its time
   * decoding and processing what just arrived, so fetching and processing overlap.
   */
  private notify(): void {
    const wake = this.waiter;
    this.waiter = null;
    if (wake) setImmediate(wake);
  }

  /** Looks for fetches to start, once per event-loop turn however often it is asked. */
  kick(): void {
    if (this.pumpScheduled || this.closed) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pumping = true;
      void this.pump().catch((err: Error) => this.fail(err)).finally(() => {
        this.pumping = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.kick();
        }
      });
    });
  }

  private async pump(): Promise<void> {
    const now = Date.now();
    const unresolved = [...this.states.values()].filter((s) => s.fetchOffset === null && s.retryAt <= now);
    if (unresolved.length > 0 && !this.resolving) void this.resolve(unresolved);
    if (this.bufferedBytes >= this.options.maxBufferedBytes) return;
    const byLeader = new Map<number, PartitionState[]>();
    let nextRetry = Infinity;
    for (const state of this.states.values()) {
      if (state.fetchOffset === null || state.paused || state.revoking || state.inFlight || state.chunks > 1) continue;
      if (state.retryAt > now) {
        nextRetry = Math.min(nextRetry, state.retryAt);
        continue;
      }
      const leader = await this.cluster.topicPartitions(state.topic).then((ps) => ps[state.partition]?.leader ?? -1, () => -1);
      if (leader < 0) {
        this.backOff(state);
        nextRetry = Math.min(nextRetry, state.retryAt);
        continue;
      }
      if (this.nodesInFlight.has(leader)) continue;
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), state]);
    }
    for (const [leader, states] of byLeader) void this.fetchFrom(leader, states);
    if (nextRetry < Infinity && !this.retryTimer) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.kick();
      }, Math.max(0, nextRetry - now));
    }
  }

  private async resolve(states: PartitionState[]): Promise<void> {
    this.resolving = true;
    try {
      await this.resolvePositions(states);
    } catch (err) {
      if (!isTransient(err)) return this.fail(err as Error);
      for (const s of states) this.backOff(s);
    } finally {
      this.resolving = false;
      this.kick();
    }
  }

  private backOff(state: PartitionState): void {
    state.failures++;
    state.retryAt = Date.now() + Math.min(1000, this.options.retryBackoffMs * 2 ** Math.min(state.failures - 1, 4));
    this.cluster.invalidate(state.topic);
  }

  private async fetchFrom(leader: number, states: PartitionState[]): Promise<void> {
    this.nodesInFlight.add(leader);
    const sent = states.map((state) => ({ state, epoch: state.epoch, offset: state.fetchOffset! }));
    for (const s of states) s.inFlight = true;
    const request = fetchRequest(this.options, sent.map((s) => ({ topic: s.state.topic, partition: s.state.partition, offset: s.offset })));
    try {
      const { response } = await this.cluster.send<FetchResponse>(leader, ApiKey.Fetch, FETCH_VERSIONS, () => request, { timeoutMs: this.cluster.requestTimeoutMs + this.options.maxWaitMs });
      if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, { api: 'Fetch' });
      const sentByKey = new Map(sent.map((s) => [partitionKey(s.state.topic, s.state.partition), s]));
      for (const t of response.responses) {
        for (const p of t.partitions) {
          const s = sentByKey.get(partitionKey(t.topic, p.partitionIndex));
          if (!s || s.epoch !== s.state.epoch) continue;
          this.onPartition(s.state, s.offset, p);
        }
      }
    } catch (err) {
      if (err instanceof KafkaError && !err.retriable) this.fail(err);
      else for (const s of sent) if (s.epoch === s.state.epoch) this.backOff(s.state);
    } finally {
      for (const s of states) s.inFlight = false;
      this.nodesInFlight.delete(leader);
      this.kick();
    }
  }

  private onPartition(state: PartitionState, offset: number, p: FetchResponse['responses'][number]['partitions'][number]): void {
    if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      state.resetNeeded = true;
      this.restartAt(state, null);
      return;
    }
    if (p.errorCode !== ErrorCode.NONE) {
      const err = new KafkaError(p.errorCode, { api: 'Fetch', topic: state.topic, partition: state.partition });
      if (isRetriable(p.errorCode)) this.backOff(state);
      else this.fail(err);
      return;
    }
    state.failures = 0;
    state.highWatermark = Number(p.highWatermark);
    state.endOffset = this.options.readCommitted && p.lastStableOffset >= 0n ? Number(p.lastStableOffset) : state.highWatermark;
    let fetched;
    try {
      fetched = scanFetchedBatches(p.records, offset, p.abortedTransactions, this.options.readCommitted);
    } catch (err) {
      this.fail(new Error(`${state.topic}-${state.partition}: the records fetched from offset ${offset} cannot be read: ${(err as Error).message}`, { cause: err }));
      return;
    }
    if (fetched.nextOffset === offset) return;
    state.fetchOffset = fetched.nextOffset;
    const bytes = p.records?.length ?? 0;
    this.ready.push({ state, epoch: state.epoch, fetched, records: [], nextOffset: fetched.nextOffset, highWatermark: state.highWatermark, bytes });
    state.chunks++;
    this.bufferedBytes += bytes;
    this.notify();
  }
}
