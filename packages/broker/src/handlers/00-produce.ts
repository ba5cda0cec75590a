import {
  ApiKey, CompressionError, createProduceResponseBatchIndexAndErrorMessage, decodeRecordBatch, ProtocolError, createProduceResponse, createProduceResponsePartitionProduceResponse, createProduceResponseTopicProduceResponse,
  ErrorCode, errorName, type ProduceRequest, type ProduceResponse, type ProduceResponsePartitionProduceResponse,
  validateProducedBatches,
} from '@millrace/protocol';
import { ProducerSequenceError } from '@millrace/storage';
import { CloseConnection, type Handler, type RequestContext } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canTopic, canTransactionalId } from '../security/authorizer.ts';
import type { Partition } from '../partition.ts';
import { storageErrorCode } from '../storage-errors.ts';
import { awaitCommit } from '../replication/await-commit.ts';
import { awaitLeadership } from '../replication/await-leadership.ts';
import { quotaClient } from '../quota/quota-client.ts';

type PartitionResult = ProduceResponsePartitionProduceResponse;

function failed(index: number, errorCode: number, errorMessage: string | null = null): PartitionResult {
  return createProduceResponsePartitionProduceResponse({ index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage });
}

/**
 * Validates and appends one partition's batches before its first await (so offsets follow arrival
 * order; a request that waits for this broker to take the leadership over is let go before any
 * later one can append), then resolves once the bytes are fsynced.
 */
async function appendPartition(ctx: RequestContext, request: ProduceRequest, partition: Partition, index: number, records: Buffer | null): Promise<PartitionResult> {
  const topics = ctx.broker.topics;
  if (partition.role !== 'leader') await awaitLeadership(ctx.broker, partition, request.timeoutMs);
  if (partition.role !== 'leader') {
    partition.refusedBatches.refused(records, ErrorCode.NOT_LEADER_OR_FOLLOWER, ctx.broker.now());
    return failed(index, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }
  const replication = ctx.broker.replication;
  const record = topics.get(partition.topic)!.record;
  const validation = validateProducedBatches(records, { maxMessageBytes: Number(topics.topicConfig(record, 'max.message.bytes')) });
  if (!validation.ok) {
    ctx.broker.log.warn(`produce to ${partition.topic}-${index} refused: ${validation.message}`);
    return failed(index, validation.errorCode, validation.message);
  }
  if (request.acks === -1 && partition.replication && replication) {
    // min.insync.replicas is checked before the append (Kafka's rule): a refused batch was not written.
    const minIsr = replication.minInsyncReplicas(partition);
    const isr = partition.replication.isr;
    if (isr.length < minIsr) {
      partition.refusedBatches.refused(records, ErrorCode.NOT_ENOUGH_REPLICAS, ctx.broker.now());
      return failed(index, ErrorCode.NOT_ENOUGH_REPLICAS, `the ISR [${isr}] of ${partition.topic}-${index} is smaller than min.insync.replicas ${minIsr}`);
    }
  }
  if (topics.topicConfig(record, 'cleanup.policy').includes('compact')) {
    const keyless = keylessRecordError(records!, partition, index);
    if (keyless) {
      ctx.broker.log.warn(`produce to ${partition.topic}-${index} refused: ${keyless.errorMessage}`);
      return keyless;
    }
  }
  const now = ctx.broker.now();
  const logAppendTime = topics.topicConfig(record, 'message.timestamp.type') === 'LogAppendTime' ? now : null;
  if (logAppendTime === null) {
    // Batch-level check of message.timestamp.before/after.max.ms: the first and the largest timestamp.
    const before = Number(topics.topicConfig(record, 'message.timestamp.before.max.ms'));
    const after = Number(topics.topicConfig(record, 'message.timestamp.after.max.ms'));
    const header = validation.header;
    if (header.baseTimestamp < now - before || header.maxTimestamp > now + after) {
      return failed(index, ErrorCode.INVALID_TIMESTAMP, `timestamps ${header.baseTimestamp}..${header.maxTimestamp} are outside the topic's allowed window around ${now}`);
    }
  }
  let appended;
  const epoch = partition.leaderEpoch;
  // Decided with the append, not after the flush: a step-down while the flush awaits clears
  // partition.replication, and the records (which no ISR may hold) must then be refused by
  // awaitCommit, not acknowledged as if this were a single broker.
  const replicated = partition.replication !== null ? replication : null;
  try {
    appended = partition.log.append(records!, epoch, logAppendTime);
  } catch (err) {
    if (err instanceof ProducerSequenceError) {
      const cause = err.code === 'OUT_OF_ORDER_SEQUENCE_NUMBER' ? partition.refusedBatches.gapCause(records, ctx.broker.now()) : null;
      if (cause !== null) return failed(index, cause, `${err.message}: the batch before it was refused (${errorName(cause)}) and must come first`);
      return failed(index, ErrorCode[err.code], err.message);
    }
    return failed(index, storageErrorCode(err, ctx.broker.log), (err as Error).message);
  }
  partition.refusedBatches.appended(records);
  const result = createProduceResponsePartitionProduceResponse({
    index,
    baseOffset: BigInt(appended.baseOffset),
    logAppendTimeMs: logAppendTime === null ? -1n : BigInt(logAppendTime),
    logStartOffset: BigInt(partition.log.logStartOffset),
  });
  try {
    await partition.log.flush();
  } catch (err) {
    return failed(index, storageErrorCode(err, ctx.broker.log), (err as Error).message);
  }
  // Wakes waiting fetches: consumers on a single broker, followers in a cluster.
  partition.notifyNewData();
  if (replicated) {
    replicated.advanceHighWatermark(partition);
    if (request.acks === -1) {
      const errorCode = await awaitCommit(ctx.broker, partition, appended.lastOffset + 1, epoch, request.timeoutMs);
      if (errorCode !== ErrorCode.NONE) return failed(index, errorCode);
    }
  }
  return result;
}

/**
 * Compaction keeps the newest record per key, so a record without a key has no place in a
 * compacted topic: Kafka refuses the batch with INVALID_RECORD and names the record. This is the
 * one produce check that decompresses and decodes the records.
 */
function keylessRecordError(records: Buffer, partition: Partition, index: number): PartitionResult | null {
  let decoded;
  try {
    decoded = decodeRecordBatch(records);
  } catch (err) {
    if (err instanceof ProtocolError || err instanceof CompressionError) return failed(index, ErrorCode.CORRUPT_MESSAGE, `records cannot be decoded: ${err.message}`);
    throw err;
  }
  const at = decoded.findIndex((r) => r.key === null);
  if (at < 0) return null;
  const message = `Compacted topic cannot accept message without key in topic partition ${partition.topic}-${index}.`;
  return { ...failed(index, ErrorCode.INVALID_RECORD, message), recordErrors: [createProduceResponseBatchIndexAndErrorMessage({ batchIndex: at, batchIndexErrorMessage: message })] };
}

export const produceHandler: Handler<ProduceRequest, ProduceResponse> = {
  apiKey: ApiKey.Produce,
  // Advertised from 0 because librdkafka enables compression only if the range contains v0 (KAFKA-18659);
  // v0-2 carry the old message formats and are refused at request time.
  versions: { min: 0, max: 11 },
  servedFrom: 3,
  async handle(ctx, request) {
    // producer_byte_rate counts every produce request's bytes, accepted or not (Kafka's rule).
    ctx.throttleMs = ctx.broker.quotas.throttle.produced(quotaClient(ctx), ctx.requestBytes, ctx.broker.now());
    if (request.acks !== 0 && request.acks !== 1 && request.acks !== -1) {
      return this.errorResponse!(request, ErrorCode.INVALID_REQUIRED_ACKS);
    }
    if (request.transactionalId !== null && !canTransactionalId(ctx, request.transactionalId, AclOperation.WRITE)) {
      return this.errorResponse!(request, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    }
    const topics = request.topicData.map((t) => ({
      name: t.name,
      results: t.partitionData.map((p) => {
        if (!canTopic(ctx, t.name, AclOperation.WRITE)) return Promise.resolve(failed(p.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
        const partition = ctx.broker.topics.partition(t.name, p.index);
        return partition ? appendPartition(ctx, request, partition, p.index, p.records) : Promise.resolve(failed(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
      }),
    }));
    const responses = [];
    for (const t of topics) {
      responses.push(createProduceResponseTopicProduceResponse({ name: t.name, partitionResponses: await Promise.all(t.results) }));
    }
    if (request.acks !== 0) return createProduceResponse({ responses });
    // acks=0: no response is read, so a failure can only be signalled by closing the connection (as Kafka does).
    const failure = responses.flatMap((t) => t.partitionResponses.map((p) => ({ topic: t.name, ...p }))).find((p) => p.errorCode !== ErrorCode.NONE);
    if (failure) throw new CloseConnection(`acks=0 produce to ${failure.topic}-${failure.index} failed: ${errorName(failure.errorCode)}`);
    return null;
  },
  errorResponse(request, errorCode) {
    return createProduceResponse({
      responses: request.topicData.map((t) =>
        createProduceResponseTopicProduceResponse({ name: t.name, partitionResponses: t.partitionData.map((p) => failed(p.index, errorCode)) }),
      ),
    });
  },
};
