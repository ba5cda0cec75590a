import { ErrorCode } from '@millrace/protocol';
import { type Cluster, isTransient, type PartitionInfo } from './cluster.ts';
import { ClientError, KafkaError } from './errors.ts';

/**
 * The failure policy of every admin call that acts on several topics, groups or resources: the
 * broker acts on each, and if any failed the call throws: the failed item's KafkaError when only
 * one did (so `err.code` can be checked directly), else an AggregateError of one error per failed
 * item. The items that did not fail did take effect.
 */
export function throwFailures(api: string, failures: unknown[]): void {
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${api} failed for ${failures.length} items: ${failures.map((f) => (f as Error).message).join('; ')}`);
}

/** Awaits every item's work, then throws the failures as `throwFailures` does. */
export async function allOrThrow<T>(api: string, work: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  throwFailures(api, settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : [])));
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

export function invalid(message: string): ClientError {
  return new ClientError('MILLRACE_INVALID_ARGUMENT', message);
}

/** Checks that `value` is an integer (of at least `min`); returns it. */
export function requireInt(value: unknown, what: string, min = -Infinity): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw invalid(`${what} must be an integer${min > -Infinity ? ` of at least ${min}` : ''}, not ${String(value)}`);
  return value;
}

export function requireName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(`${what} must be a non-empty string`);
  return value;
}

/** Codes that mean "ask the coordinator again" (the ones `sendToCoordinator` retries on), else NONE: other codes are answers. */
export function coordinatorError(codes: Iterable<number>): number {
  for (const code of codes) if (code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return code;
  return ErrorCode.NONE;
}

/** The partitions of each topic, from fresh metadata (another client may have added partitions); KafkaError naming an unknown topic. */
export async function partitionsOf(cluster: Cluster, topics: string[]): Promise<Map<string, PartitionInfo[]>> {
  await cluster.refresh(topics);
  const found = await allOrThrow('Metadata', topics.map(async (t) => [t, await cluster.topicPartitions(t)] as const));
  return new Map(found);
}

const LEADER_RETRIES = 4;

/**
 * Runs a request sent to partition leaders, again after fresh metadata when a leader moved or a
 * connection was lost (a few times). Unlike `cluster.retrying`, an unknown topic fails at once.
 */
export async function withLeaderRetries<T>(cluster: Cluster, topic: string, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      const unknown = err instanceof KafkaError && err.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (tries >= LEADER_RETRIES || unknown || !isTransient(err)) throw err;
      cluster.invalidate(topic);
      await new Promise((r) => setTimeout(r, 100 * 2 ** tries));
    }
  }
}

/** Items grouped by a key, in first-seen order. */
export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}
