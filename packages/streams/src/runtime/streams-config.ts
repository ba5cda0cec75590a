import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ErrorPolicy } from '../engine/task.ts';
import { StreamsError } from '../errors.ts';

export type StreamsState = 'CREATED' | 'REBALANCING' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'NOT_RUNNING' | 'ERROR';

export interface StreamsConfig {
  /** Names the consumer group, the internal topics (`<applicationId>-...`) and the transactional ids. */
  applicationId: string;
  /** Bootstrap servers, "host:port". */
  brokers: string[];
  /** 'at-least-once' (default): a crash may process some input twice. 'exactly-once': output, state changes and consumed offsets commit atomically in a transaction. */
  processingGuarantee?: 'at-least-once' | 'exactly-once';
  /** How often progress is committed: default 30 s at least once, 100 ms exactly once. */
  commitIntervalMs?: number;
  /** Static membership: an instance restarted within the session timeout gets its tasks back without a rebalance. */
  groupInstanceId?: string;
  /** Default 45 s. */
  sessionTimeoutMs?: number;
  /** "host:port" where this instance answers interactive queries: `metadataForKey` on any instance names it for the keys it holds. */
  applicationServer?: string;
  /**
   * Where persistent stores keep their files: `<stateDir>/<applicationId>/<taskId>/<store>.sqlite`.
   * Default `<os tmpdir>/millrace-streams`. One instance of an application per directory: a second
   * one fails to start with STATE_LOCKED.
   */
  stateDir?: string;
  /** Replicas of the internal topics; default the broker's default.replication.factor. */
  replicationFactor?: number;
  /** A record that cannot be deserialized: stop (default) or skip it and count it. */
  onDeserializationError?: ErrorPolicy;
  /** An exception thrown by a processor: stop (default) or skip the record and count it. */
  onProcessingError?: ErrorPolicy;
  onStateChange?: (state: StreamsState, previous: StreamsState) => void;
  /** Where warnings go; default standard error. */
  log?: (message: string) => void;
  clientId?: string;
}

export function stateDirOf(config: StreamsConfig): string {
  return config.stateDir ?? join(tmpdir(), 'millrace-streams');
}

export function checkConfig(config: StreamsConfig): void {
  if (!/^[a-zA-Z0-9._-]+$/.test(config.applicationId ?? '')) throw new StreamsError('INVALID_CONFIG', `applicationId must be letters, digits, '.', '_' and '-', not "${config.applicationId}"`);
  if (!Array.isArray(config.brokers) || config.brokers.length === 0) throw new StreamsError('INVALID_CONFIG', 'brokers must list at least one "host:port"');
  const guarantee = config.processingGuarantee ?? 'at-least-once';
  if (guarantee !== 'at-least-once' && guarantee !== 'exactly-once') throw new StreamsError('INVALID_CONFIG', `processingGuarantee must be 'at-least-once' or 'exactly-once', not "${guarantee}"`);
  if (config.commitIntervalMs !== undefined && (!Number.isSafeInteger(config.commitIntervalMs) || config.commitIntervalMs < 1)) throw new StreamsError('INVALID_CONFIG', `commitIntervalMs must be a positive whole number, not ${config.commitIntervalMs}`);
}
