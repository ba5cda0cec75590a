import {
  type AddOffsetsToTxnResponse, type AddPartitionsToTxnResponse, ApiKey, createAddOffsetsToTxnRequest, createAddPartitionsToTxnRequest,
  createAddPartitionsToTxnRequestAddPartitionsToTxnTopic, createEndTxnRequest, createInitProducerIdRequest, createTxnOffsetCommitRequest,
  createTxnOffsetCommitRequestTxnOffsetCommitRequestPartition, createTxnOffsetCommitRequestTxnOffsetCommitRequestTopic, type EndTxnResponse,
  ErrorCode, type InitProducerIdResponse, type TxnOffsetCommitResponse,
} from '@millrace/protocol';
import { type Cluster, CoordinatorType } from './cluster.ts';
import { ClientError, KafkaError } from './errors.ts';
import type { ConsumerGroupMetadata } from './consumer.ts';
import type { TopicPartitionOffset } from './offsets.ts';
import { byTopic, partitionKey, type TopicPartition } from './topic-partitions.ts';

/** v0-3 are what producers send; v4+ (KIP-890) is broker to broker, v5 bumps the epoch at every end. */
export const INIT_PRODUCER_ID_VERSIONS = [0, 4] as const;
const ADD_PARTITIONS_VERSIONS = [0, 3] as const;
const ADD_OFFSETS_VERSIONS = [0, 3] as const;
const END_TXN_VERSIONS = [0, 3] as const;
/** v3 carries the member's generation, so a zombie of an older generation cannot commit. */
const TXN_OFFSET_COMMIT_VERSIONS = [0, 3] as const;

/** Errors after which this producer can never write again: another one took its transactional id. */
const FATAL = new Set<number>([
  ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  ErrorCode.INVALID_PRODUCER_ID_MAPPING, ErrorCode.UNSUPPORTED_VERSION,
]);

export interface ProducerIdentity {
  id: bigint;
  epoch: number;
}

type State = 'ready' | 'in-transaction' | 'ending' | 'abortable' | 'fatal';

/** True for an error that fences the producer for good. */
export function isFatalToTransactions(err: unknown): boolean {
  return err instanceof KafkaError && FATAL.has(err.errorCode);
}

/**
 * A transactional producer's side of Kafka's transaction protocol, with the transaction
 * coordinator of its transactional id: the producer id (whose epoch bump fences older instances),
 * which partitions and groups the open transaction touches, and its commit or abort. A failure
 * inside a transaction leaves it abortable; fencing leaves the producer unusable.
 */
export class Transactions {
  private readonly cluster: Cluster;
  readonly transactionalId: string;
  private readonly timeoutMs: number;
  private identity: Promise<ProducerIdentity> | null = null;
  private state: State = 'ready';
  /** Why the transaction must be aborted, or why the producer is fenced. */
  private failure: Error | null = null;
  private readonly partitions = new Set<string>();
  private readonly groups = new Set<string>();

  constructor(cluster: Cluster, transactionalId: string, timeoutMs: number) {
    if (transactionalId === '') throw new ClientError('MILLRACE_INVALID_ARGUMENT', 'a transactional id cannot be empty');
    this.cluster = cluster;
    this.transactionalId = transactionalId;
    this.timeoutMs = timeoutMs;
  }

  get inTransaction(): boolean {
    return this.state === 'in-transaction' || this.state === 'abortable';
  }

  /** The producer id and epoch, fetched once: that InitProducerId fences any older producer with this transactional id. */
  init(): Promise<ProducerIdentity> {
    this.identity ??= this.coordinator<InitProducerIdResponse>(ApiKey.InitProducerId, INIT_PRODUCER_ID_VERSIONS,
      () => createInitProducerIdRequest({ transactionalId: this.transactionalId, transactionTimeoutMs: this.timeoutMs }), (r) => r.errorCode, 'InitProducerId')
      .then((r) => ({ id: r.producerId, epoch: r.producerEpoch }));
    this.identity.catch((err: unknown) => {
      if (isFatalToTransactions(err)) this.fail(err as Error);
      else this.identity = null;
    });
    return this.identity;
  }

  async begin(): Promise<void> {
    this.check('begin a transaction', ['ready']);
    await this.init();
    this.check('begin a transaction', ['ready']);
    this.state = 'in-transaction';
  }

  /** Throws unless a transaction is open and can still commit: records may only be sent inside one. */
  checkSendable(): void {
    this.check('send records', ['in-transaction']);
  }

  /** Adds to the open transaction the partitions it does not have yet; a batch may only be sent to one it has. */
  async addPartitions(partitions: TopicPartition[]): Promise<void> {
    const missing = partitions.filter((p) => !this.partitions.has(partitionKey(p.topic, p.partition)));
    if (missing.length === 0) return;
    const { id, epoch } = await this.init();
    const topics = [...byTopic(missing)].map(([name, ps]) => createAddPartitionsToTxnRequestAddPartitionsToTxnTopic({ name, partitions: ps.map((p) => p.partition) }));
    const response = await this.guard(this.coordinator<AddPartitionsToTxnResponse>(ApiKey.AddPartitionsToTxn, ADD_PARTITIONS_VERSIONS,
      () => createAddPartitionsToTxnRequest({ v3AndBelowTransactionalId: this.transactionalId, v3AndBelowProducerId: id, v3AndBelowProducerEpoch: epoch, v3AndBelowTopics: topics }),
      firstPartitionError, 'AddPartitionsToTxn'));
    for (const t of response.resultsByTopicV3AndBelow) {
      for (const p of t.resultsByPartition) if (p.partitionErrorCode === ErrorCode.NONE) this.partitions.add(partitionKey(t.name, p.partitionIndex));
    }
  }

  /**
   * Makes consumed offsets part of the open transaction: they are committed for `group` if and only
   * if the transaction commits (consume, transform, produce exactly once).
   */
  async sendOffsets(offsets: TopicPartitionOffset[], group: ConsumerGroupMetadata): Promise<void> {
    this.check('send offsets', ['in-transaction']);
    const { id, epoch } = await this.init();
    if (!this.groups.has(group.groupId)) {
      await this.guard(this.coordinator<AddOffsetsToTxnResponse>(ApiKey.AddOffsetsToTxn, ADD_OFFSETS_VERSIONS,
        () => createAddOffsetsToTxnRequest({ transactionalId: this.transactionalId, producerId: id, producerEpoch: epoch, groupId: group.groupId }), (r) => r.errorCode, 'AddOffsetsToTxn'));
      this.groups.add(group.groupId);
    }
    const topics = [...byTopic(offsets)].map(([name, os]) => createTxnOffsetCommitRequestTxnOffsetCommitRequestTopic({
      name, partitions: os.map((o) => createTxnOffsetCommitRequestTxnOffsetCommitRequestPartition({ partitionIndex: o.partition, committedOffset: BigInt(o.offset), committedLeaderEpoch: -1, committedMetadata: o.metadata ?? '' })),
    }));
    await this.guard(this.cluster.sendToCoordinator<TxnOffsetCommitResponse>(group.groupId, CoordinatorType.GROUP, ApiKey.TxnOffsetCommit, TXN_OFFSET_COMMIT_VERSIONS,
      () => createTxnOffsetCommitRequest({
        transactionalId: this.transactionalId, groupId: group.groupId, producerId: id, producerEpoch: epoch,
        generationId: group.generationId, memberId: group.memberId, groupInstanceId: group.groupInstanceId, topics,
      }), (r) => r.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE)
      .then(({ response }) => {
        for (const t of response.topics) {
          const failed = t.partitions.find((p) => p.errorCode !== ErrorCode.NONE);
          if (failed) throw new KafkaError(failed.errorCode, { api: 'TxnOffsetCommit', topic: t.name, partition: failed.partitionIndex, message: `group ${group.groupId}` });
        }
      }));
  }

  /** Commits (or aborts) the open transaction; the producer must have flushed its records first. */
  async end(commit: boolean): Promise<void> {
    this.check(commit ? 'commit' : 'abort', commit ? ['in-transaction'] : ['in-transaction', 'abortable']);
    if (commit && this.failure) throw this.failure;
    const { id, epoch } = await this.init();
    const before = this.state;
    this.state = 'ending';
    try {
      // A transaction that never touched a partition or a group is unknown to the coordinator: nothing to end.
      if (this.partitions.size > 0 || this.groups.size > 0) {
        await this.coordinator<EndTxnResponse>(ApiKey.EndTxn, END_TXN_VERSIONS,
          () => createEndTxnRequest({ transactionalId: this.transactionalId, producerId: id, producerEpoch: epoch, committed: commit }), (r) => r.errorCode, 'EndTxn');
      }
    } catch (err) {
      if (isFatalToTransactions(err)) this.fail(err as Error);
      else this.state = before;
      throw err;
    }
    this.state = 'ready';
    this.failure = null;
    this.partitions.clear();
    this.groups.clear();
  }

  /** Records a failure inside the open transaction: it can now only be aborted (or the producer is fenced). */
  fail(err: Error): void {
    if (this.state === 'fatal') return;
    if (isFatalToTransactions(err)) {
      this.state = 'fatal';
      this.failure = err;
    } else if (this.state === 'in-transaction') {
      this.state = 'abortable';
      this.failure = err;
    }
  }

  private check(action: string, allowed: State[]): void {
    if (this.state === 'fatal') throw this.failure!;
    if (allowed.includes(this.state)) return;
    if (this.state === 'abortable') {
      throw new ClientError('MILLRACE_TRANSACTION_STATE', `cannot ${action}: the transaction failed (${this.failure?.message}) and must be aborted`);
    }
    const where = this.state === 'ready' ? 'no transaction is open (call beginTransaction first)' : this.state === 'ending' ? 'the transaction is ending' : 'a transaction is already open';
    throw new ClientError('MILLRACE_TRANSACTION_STATE', `cannot ${action}: ${where}`);
  }

  /** A step of the open transaction: its failure makes the transaction abortable (or fences the producer). */
  private async guard<T>(step: Promise<T>): Promise<T> {
    try {
      return await step;
    } catch (err) {
      this.fail(err as Error);
      throw err;
    }
  }

  private async coordinator<T>(apiKey: number, versions: readonly [number, number], body: (version: number) => object, errorOf: (r: T) => number, api: string): Promise<T> {
    const { response } = await this.cluster.sendToCoordinator<T>(this.transactionalId, CoordinatorType.TRANSACTION, apiKey, versions, body, errorOf);
    const code = errorOf(response);
    if (code !== ErrorCode.NONE) throw new KafkaError(code, { api, message: `transactional id ${this.transactionalId}` });
    return response;
  }
}

/** The first real error of an AddPartitionsToTxn answer (OPERATION_NOT_ATTEMPTED only echoes another's failure). */
function firstPartitionError(r: AddPartitionsToTxnResponse): number {
  let code: number = ErrorCode.NONE;
  for (const t of r.resultsByTopicV3AndBelow) {
    for (const p of t.resultsByPartition) {
      if (p.partitionErrorCode === ErrorCode.NONE) continue;
      if (p.partitionErrorCode !== ErrorCode.OPERATION_NOT_ATTEMPTED) return p.partitionErrorCode;
      code = p.partitionErrorCode;
    }
  }
  return code;
}
