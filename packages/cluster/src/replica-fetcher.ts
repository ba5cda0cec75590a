import { type Connection, type LinkSecurity, openBrokerLink } from '@millrace/client';
import {
  ApiKey, createFetchRequest, createFetchRequestFetchPartition, createFetchRequestFetchTopic, ErrorCode, errorName,
  type FetchResponse, type FetchResponsePartitionData,
} from '@millrace/protocol';

/** What a follower needs of its local log (PartitionLog provides it). */
export interface FollowerLog {
  readonly logEndOffset: number;
  readonly latestEpoch: number;
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number };
  appendAsFollower(batches: Buffer): unknown;
  flush(): Promise<void>;
  truncateTo(offset: number): Promise<number>;
  setReplicationHighWatermark(offset: number): void;
  readonly logStartOffset: number;
  readonly highWatermark: number;
  /** Moves the log start up (the leader's moved: retention or DeleteRecords there). */
  deleteRecordsBefore(offset: number): Promise<void>;
}

export interface FollowedPartition {
  topic: string;
  index: number;
  /** The leader epoch this broker follows in: the leader fences requests that name another. */
  leaderEpoch: number;
  log: FollowerLog;
}

export interface ReplicaFetcherOptions {
  replicaId: number;
  leaderId: number;
  host: string;
  port: number;
  maxWaitMs: number;
  maxBytes: number;
  /** How to reach the leader's inter-broker listener (TLS, a SASL login); nothing for PLAINTEXT. */
  security?: LinkSecurity;
  log: { warn(m: string): void; error(m: string): void };
}

/** Fetch v12: the first with LastFetchedEpoch and DivergingEpoch, the last with topic names. */
const REPLICA_FETCH_VERSION = 12;
const RETRY_MS = 200;
/** How long a partition the leader refused is left out of fetches before it is asked for again. */
const PARTITION_BACKOFF_MS = 500;

interface Entry {
  partition: FollowedPartition;
  /** Left out of requests until then (the leader refused it, or its log failed). */
  backoffUntil: number;
  /** The work the last answer started on the log (an append and its flush, or a truncation). */
  applying: Promise<void> | null;
}

/**
 * Copies the partitions this broker follows from one leader broker, the way Kafka followers do:
 * Fetch requests with our replica id, from each log's end (after syncing what came before, so the
 * offset we ask for tells the leader what we hold durably). A diverging-epoch answer truncates the
 * log to where it agrees with the leader's; the leader's high watermark caps ours.
 */
export class ReplicaFetcher {
  private readonly options: ReplicaFetcherOptions;
  private readonly entries = new Map<string, Entry>();
  private connection: Connection | null = null;
  private running = false;
  private stopped = false;

  constructor(options: ReplicaFetcherOptions) {
    this.options = options;
  }

  get size(): number {
    return this.entries.size;
  }

  add(partition: FollowedPartition): void {
    this.entries.set(`${partition.topic}-${partition.index}`, { partition, backoffUntil: 0, applying: null });
    if (!this.running && !this.stopped) void this.run();
  }

  /**
   * Stops following a partition: no answer is applied to its log from now on, and the promise
   * resolves once the work an earlier answer started on it has ended. Only then may the log take
   * a new role: a truncation that landed after its broker began leading would cut records the new
   * leader has acknowledged.
   */
  async remove(topic: string, index: number): Promise<void> {
    const key = `${topic}-${index}`;
    const entry = this.entries.get(key);
    this.entries.delete(key);
    await entry?.applying;
  }

  stop(): void {
    this.stopped = true;
    this.connection?.close();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped && this.entries.size > 0) {
        try {
          await this.fetchOnce();
        } catch (err) {
          if (this.stopped) break;
          this.options.log.warn(`replica fetch from broker ${this.options.leaderId} at ${this.options.host}:${this.options.port} failed: ${(err as Error).message}`);
          this.connection?.close();
          this.connection = null;
          await sleep(RETRY_MS);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async fetchOnce(): Promise<void> {
    const now = Date.now();
    const asked = [...this.entries.values()].filter((e) => e.backoffUntil <= now);
    if (asked.length === 0) {
      await sleep(RETRY_MS);
      return;
    }
    this.connection ??= (await openBrokerLink(this.options.host, this.options.port, { clientId: `millrace-replica-${this.options.replicaId}`, ...this.options.security })).connection;
    const byTopic = new Map<string, Entry[]>();
    for (const e of asked) byTopic.set(e.partition.topic, [...(byTopic.get(e.partition.topic) ?? []), e]);
    const request = createFetchRequest({
      replicaId: this.options.replicaId,
      maxWaitMs: this.options.maxWaitMs,
      minBytes: 1,
      maxBytes: this.options.maxBytes,
      topics: [...byTopic].map(([topic, entries]) =>
        createFetchRequestFetchTopic({
          topic,
          partitions: entries.map((e) => createFetchRequestFetchPartition({
            partition: e.partition.index,
            currentLeaderEpoch: e.partition.leaderEpoch,
            fetchOffset: BigInt(e.partition.log.logEndOffset),
            lastFetchedEpoch: e.partition.log.latestEpoch,
            partitionMaxBytes: this.options.maxBytes,
          })),
        }),
      ),
    });
    const response = await this.connection.request<FetchResponse>(ApiKey.Fetch, REPLICA_FETCH_VERSION, request, this.options.maxWaitMs + 30_000);
    const work: Promise<void>[] = [];
    for (const t of response.responses) {
      for (const p of t.partitions) {
        const entry = this.entries.get(`${t.topic}-${p.partitionIndex}`);
        // Only answers for what was asked and is still followed in the same epoch count.
        if (entry && asked.includes(entry)) {
          entry.applying = this.apply(entry, p);
          work.push(entry.applying);
        }
      }
    }
    await Promise.all(work);
  }

  private async apply(entry: Entry, p: FetchResponsePartitionData): Promise<void> {
    const { partition } = entry;
    const log = partition.log;
    const name = `${partition.topic}-${partition.index}`;
    try {
      if (p.errorCode !== ErrorCode.NONE) {
        entry.backoffUntil = Date.now() + PARTITION_BACKOFF_MS;
        if (p.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER && p.errorCode !== ErrorCode.FENCED_LEADER_EPOCH && p.errorCode !== ErrorCode.UNKNOWN_LEADER_EPOCH && p.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
          this.options.log.warn(`replica fetch of ${name} from broker ${this.options.leaderId}: ${errorName(p.errorCode)}`);
        }
        return;
      }
      if (p.divergingEpoch.epoch >= 0 || p.divergingEpoch.endOffset >= 0n) {
        await this.truncateDiverged(log, p.divergingEpoch.epoch, Number(p.divergingEpoch.endOffset), name);
        return;
      }
      if (p.records && p.records.length > 0) {
        // No copy: the records are a view of this response's own frame (the connection allocates one
        // per response and never reuses it), which the log keeps until its flush.
        log.appendAsFollower(p.records);
        await log.flush();
      }
      log.setReplicationHighWatermark(Math.min(Number(p.highWatermark), log.logEndOffset));
      // Kafka's rule: a follower's log start follows the leader's, as far as what it holds as committed.
      const leaderStart = Math.min(Number(p.logStartOffset), log.highWatermark);
      if (leaderStart > log.logStartOffset) await log.deleteRecordsBefore(leaderStart);
    } catch (err) {
      entry.backoffUntil = Date.now() + PARTITION_BACKOFF_MS;
      this.options.log.error(`replicating ${name} from broker ${this.options.leaderId} failed: ${(err as Error).message}`);
    }
  }

  /**
   * The leader's log and ours part ways after `endOffset` of `epoch` (KIP-279's rules): where we
   * hold that epoch too, we keep the shorter of the two; where we do not, we go back to the end of
   * our last epoch below it, and the next fetch asks again from there.
   */
  private async truncateDiverged(log: FollowerLog, epoch: number, endOffset: number, name: string): Promise<void> {
    const ours = log.endOffsetForEpoch(epoch);
    const target = ours.epoch === epoch ? Math.min(ours.endOffset, endOffset) : ours.endOffset;
    const to = Math.min(target < 0 ? 0 : target, log.logEndOffset);
    const end = await log.truncateTo(to);
    this.options.log.warn(`${name}: log diverged from the leader's after epoch ${epoch}; truncated to offset ${end}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
