import {
  ApiKey, BatchField, createFetchResponse, createFetchResponseAbortedTransaction, createFetchResponseEpochEndOffset, createFetchResponseFetchableTopicResponse, createFetchResponsePartitionData, EMPTY, LOG_OVERHEAD,
  ErrorCode, type FetchRequest, type FetchResponse, type FetchResponsePartitionData,
} from '@millrace/protocol';
import { preferredReadReplica } from '@millrace/cluster';
import { RACK_AWARE_SELECTOR } from '../config/broker-config.ts';
import type { BrokerState, Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canCluster, canTopic } from '../security/authorizer.ts';
import type { Partition } from '../partition.ts';
import { storageErrorCode } from '../storage-errors.ts';
import { waitForData } from '../wait-for-data.ts';
import { quotaClient } from '../quota/quota-client.ts';

const READ_COMMITTED = 1;

/** Upper bound on a fetch response whatever the client asks, so one request cannot pin the broker's memory. */
export const MAX_FETCH_RESPONSE_BYTES = 64 * 1024 * 1024;

interface Wanted {
  partition: Partition | undefined;
  /** TOPIC_AUTHORIZATION_FAILED when the principal may not read it, else NONE. */
  authorization: number;
  index: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
}

/** Who is fetching: a consumer reads committed data; a follower (replica id >= 0) reads what the leader has synced. */
interface Reader {
  follower: boolean;
  readCommitted: boolean;
  /**
   * A consumer that may read from a follower (KIP-392: it sends Fetch v11+, with its rack), and,
   * when the leader is to point it at a follower of its rack, that rack; null otherwise.
   */
  fromFollowers: { rack: string | null } | null;
}

interface Round {
  topics: { name: string; topicId: string; partitions: FetchResponsePartitionData[] }[];
  bytes: number;
  error: boolean;
}

function partitionResult(index: number, errorCode: number, p: Partition | undefined, readCommitted: boolean, records: Buffer = EMPTY, aborted: { producerId: number; firstOffset: number }[] = [], preferredReadReplica = -1) {
  const hw = p ? BigInt(p.log.highWatermark) : -1n;
  return createFetchResponsePartitionData({
    partitionIndex: index,
    errorCode,
    highWatermark: hw,
    lastStableOffset: p ? BigInt(p.log.lastStableOffset) : -1n,
    logStartOffset: p ? BigInt(p.log.logStartOffset) : -1n,
    // READ_COMMITTED consumers drop the batches of these producers from these offsets on, up to their abort markers.
    abortedTransactions: readCommitted ? aborted.map((a) => createFetchResponseAbortedTransaction({ producerId: BigInt(a.producerId), firstOffset: BigInt(a.firstOffset) })) : null,
    // Empty record sets are empty bytes, never null: librdkafka reads null as an error.
    records,
    preferredReadReplica,
  });
}

/** The follower a consumer in `rack` should read `p` from, when this broker leads it and one qualifies; else null. */
function readReplicaFor(state: BrokerState, p: Partition, rack: string, fetchOffset: number): number | null {
  const leading = p.replication;
  const view = state.cluster?.view;
  if (p.role !== 'leader' || !leading || !view) return null;
  return preferredReadReplica({
    leaderId: leading.leaderId,
    clientRack: rack,
    isr: leading.isr,
    rackOf: (id) => view.brokers.get(id)?.rack,
    followerEndOffset: (id) => leading.followerEndOffset(id),
    fetchOffset,
  });
}

/** The last offset of the last batch in `records` (whole batches). */
function lastOffsetIn(records: Buffer): number {
  let last = -1;
  for (let at = 0; at < records.length; at += records.readInt32BE(at + BatchField.BATCH_LENGTH) + LOG_OVERHEAD) {
    last = Number(records.readBigInt64BE(at)) + records.readInt32BE(at + BatchField.LAST_OFFSET_DELTA);
  }
  return last;
}

/**
 * Why this broker may not serve a partition to this reader, as a Kafka error code, or NONE: the
 * leader serves everyone, a follower consumers that may read from followers (up to its high
 * watermark). A stated leader epoch must be ours: an older one means the client's metadata is stale
 * (FENCED_LEADER_EPOCH), a newer one that ours is (UNKNOWN_LEADER_EPOCH).
 */
function servingError(p: Partition, w: Wanted, reader: Reader): number {
  if (p.role !== 'leader' && !(p.role === 'follower' && reader.fromFollowers)) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  if (w.currentLeaderEpoch >= 0 && w.currentLeaderEpoch < p.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
  if (w.currentLeaderEpoch > p.leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
  return ErrorCode.NONE;
}

/**
 * A follower whose last fetched epoch ends, in our log, before where it wants to fetch holds records
 * we do not: it is told where our logs part (KIP-595's diverging epoch) and truncates.
 */
function divergence(p: Partition, w: Wanted): { epoch: number; endOffset: number } | null {
  if (w.lastFetchedEpoch < 0) return null;
  const end = p.log.leaderEpochs.endOffsetFor(w.lastFetchedEpoch, p.log.logEndOffset);
  return end.epoch < w.lastFetchedEpoch || end.endOffset < w.fetchOffset ? end : null;
}

/** One pass over the requested partitions, reading whatever is there now within the byte limits. */
async function readRound(state: BrokerState, wanted: { name: string; topicId: string; parts: Wanted[] }[], maxBytes: number, reader: Reader): Promise<Round> {
  const readCommitted = reader.readCommitted;
  const round: Round = { topics: [], bytes: 0, error: false };
  for (const t of wanted) {
    const partitions: FetchResponsePartitionData[] = [];
    for (const w of t.parts) {
      const p = w.partition;
      if (w.authorization !== ErrorCode.NONE) {
        partitions.push(partitionResult(w.index, w.authorization, undefined, readCommitted));
        round.error = true;
        continue;
      }
      if (!p) {
        partitions.push(partitionResult(w.index, t.name === '' ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, undefined, readCommitted));
        round.error = true;
        continue;
      }
      const log = p.log;
      const refused = servingError(p, w, reader);
      if (refused !== ErrorCode.NONE) {
        partitions.push(partitionResult(w.index, refused, p, readCommitted));
        round.error = true;
        continue;
      }
      // Before the range check: an offline log's offsets mean nothing, and OFFSET_OUT_OF_RANGE would make consumers reset.
      if (log.offlineReason) {
        partitions.push(partitionResult(w.index, ErrorCode.KAFKA_STORAGE_ERROR, p, readCommitted));
        round.error = true;
        continue;
      }
      const diverged = reader.follower ? divergence(p, w) : null;
      if (diverged) {
        partitions.push({ ...partitionResult(w.index, ErrorCode.NONE, p, readCommitted), divergingEpoch: createFetchResponseEpochEndOffset({ epoch: diverged.epoch, endOffset: BigInt(diverged.endOffset) }) });
        round.error = true;
        continue;
      }
      // Followers read everything the leader has synced; consumers only what is committed. An offset
      // between the two is in range (a new leader's high watermark can lag its predecessor's for a
      // moment): the consumer gets nothing yet, not a reset.
      const visibleEnd = reader.follower ? log.durableEndOffset : log.highWatermark;
      if (w.fetchOffset < log.logStartOffset || w.fetchOffset > log.durableEndOffset) {
        partitions.push(partitionResult(w.index, ErrorCode.OFFSET_OUT_OF_RANGE, p, readCommitted));
        round.error = true;
        continue;
      }
      const readFrom = reader.fromFollowers?.rack ? readReplicaFor(state, p, reader.fromFollowers.rack, w.fetchOffset) : null;
      if (readFrom !== null) {
        // KIP-392: no records, and the follower in the consumer's rack to fetch from instead.
        partitions.push(partitionResult(w.index, ErrorCode.NONE, p, readCommitted, EMPTY, [], readFrom));
        round.error = true;
        continue;
      }
      const budget = Math.min(w.partitionMaxBytes, maxBytes - round.bytes);
      // READ_COMMITTED reads stop at the last stable offset: past it, transactions are not decided yet.
      const end = readCommitted ? log.lastStableOffset : visibleEnd;
      if (w.fetchOffset >= end || budget <= 0) {
        partitions.push(partitionResult(w.index, ErrorCode.NONE, p, readCommitted));
        continue;
      }
      try {
        // The first batch of the first partition with data is returned whole even over the limits, so a
        // batch larger than max.partition.fetch.bytes can never block a consumer.
        const records = await log.read(w.fetchOffset, Math.max(budget, 0), round.bytes === 0, end);
        round.bytes += records.length;
        const aborted = readCommitted && records.length > 0 ? log.abortedTransactions(w.fetchOffset, lastOffsetIn(records) + 1) : [];
        partitions.push(partitionResult(w.index, ErrorCode.NONE, p, readCommitted, records, aborted));
      } catch (err) {
        partitions.push(partitionResult(w.index, storageErrorCode(err, state.log), p, readCommitted));
        round.error = true;
      }
    }
    round.topics.push({ name: t.name, topicId: t.topicId, partitions });
  }
  return round;
}

export const fetchHandler: Handler<FetchRequest, FetchResponse> = {
  apiKey: ApiKey.Fetch,
  // v4 is the first with RecordBatch v2 fields (librdkafka's MsgVer2 feature needs it in range);
  // v17 adds replica directories, for brokers only.
  versions: { min: 4, max: 16 },
  async handle(ctx, request) {
    const state = ctx.broker;
    if (ctx.apiVersion >= 7 && request.sessionId !== 0) {
      // We never hand out fetch sessions, so any session id a client names is unknown to us.
      return createFetchResponse({ errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0 });
    }
    const byId = ctx.apiVersion >= 13;
    const replicaId = ctx.apiVersion >= 15 ? request.replicaState.replicaId : request.replicaId;
    // consumer_byte_rate: a consumer that must still wait is answered at once and empty (Kafka's rule);
    // otherwise it is sent what its quota allows now. Followers are not counted.
    ctx.quotaExempt = replicaId >= 0;
    const client = quotaClient(ctx);
    const allowance = ctx.quotaExempt ? { waitMs: 0, maxBytes: Infinity } : state.quotas.throttle.fetchAllowance(client, state.now());
    if (allowance.waitMs > 0) {
      ctx.throttleMs = allowance.waitMs;
      return createFetchResponse({ sessionId: 0, responses: [] });
    }
    // A follower needs CLUSTER_ACTION on the cluster; a consumer READ on each topic.
    const followerAllowed = replicaId < 0 || canCluster(ctx, AclOperation.CLUSTER_ACTION);
    const wanted = request.topics.map((t) => {
      const topic = byId ? state.topics.getById(t.topicId) : state.topics.get(t.topic);
      const name = topic?.record.name ?? (byId ? '' : t.topic);
      const authorized = replicaId >= 0 ? followerAllowed : name === '' || canTopic(ctx, name, AclOperation.READ);
      return {
        name,
        topicId: t.topicId,
        parts: t.partitions.map((p) => ({
          partition: topic?.partitions[p.partition],
          authorization: authorized ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          index: p.partition,
          fetchOffset: Number(p.fetchOffset),
          partitionMaxBytes: Math.max(0, p.partitionMaxBytes),
          currentLeaderEpoch: ctx.apiVersion >= 9 ? p.currentLeaderEpoch : -1,
          lastFetchedEpoch: ctx.apiVersion >= 12 ? p.lastFetchedEpoch : -1,
        })),
      };
    });
    const maxBytes = Math.min(request.maxBytes > 0 ? request.maxBytes : MAX_FETCH_RESPONSE_BYTES, MAX_FETCH_RESPONSE_BYTES, allowance.maxBytes);
    const follower = replicaId >= 0 && state.replication !== null && followerAllowed;
    const consumerMayUseFollowers = !follower && state.cluster !== null && ctx.apiVersion >= 11;
    const reader: Reader = {
      follower,
      readCommitted: !follower && request.isolationLevel === READ_COMMITTED,
      fromFollowers: consumerMayUseFollowers ? { rack: state.config.values['replica.selector.class'] === RACK_AWARE_SELECTOR && request.rackId !== '' ? request.rackId : null } : null,
    };
    if (follower) {
      // Where a follower asks to fetch from is what it holds, and the leader's high watermark follows
      // it; but only once its log agrees with ours up to there: a follower whose last epoch diverges
      // holds records we do not, and counting them would commit what only it has.
      for (const t of wanted) {
        for (const w of t.parts) {
          const p = w.partition;
          if (p?.role === 'leader' && servingError(p, w, reader) === ErrorCode.NONE && !divergence(p, w)) state.replication!.onFollowerFetch(p, replicaId, w.fetchOffset);
        }
      }
    }
    const deadline = state.now() + Math.max(0, request.maxWaitMs);
    const watched = wanted.flatMap((t) => t.parts.map((p) => p.partition)).filter((p) => p !== undefined);
    let round = await readRound(state, wanted, maxBytes, reader);
    // Long poll: wait for new durable data until min_bytes is reached or max_wait_ms passes.
    while (!round.error && round.bytes < request.minBytes && state.now() < deadline) {
      const woke = await waitForData(state, watched, deadline - state.now());
      if (!woke) break;
      round = await readRound(state, wanted, maxBytes, reader);
    }
    if (!ctx.quotaExempt) ctx.throttleMs = state.quotas.throttle.fetched(client, round.bytes, state.now());
    return createFetchResponse({
      // Fetch sessions are declined (id 0): clients then send full fetch requests, which is always correct.
      sessionId: 0,
      responses: round.topics.map((t) =>
        createFetchResponseFetchableTopicResponse({ topic: t.name, topicId: t.topicId, partitions: t.partitions }),
      ),
    });
  },
};
