import type { ClusterNode } from '@millrace/cluster';
import type { LinkSecurity } from '@millrace/client';
import type { BrokerConfig } from './config/broker-config.ts';
import type { ReplicaManager } from './replication/replica-manager.ts';
import type { ClusterIdentity } from './metadata/cluster-identity.ts';
import type { TopicManager } from './topic-manager.ts';
import type { GroupCoordinator } from './group/coordinator.ts';
import type { Logger } from './logger.ts';
import type { ProducerIdManager } from './producer-ids.ts';
import type { TransactionCoordinator } from './txn/txn-coordinator.ts';
import type { BrokerSecurity } from './security/broker-security.ts';
import type { Session } from './security/session.ts';
import type { QuotaStore } from './quota/quota-store.ts';
import type { ClientThrottle } from './quota/client-throttle.ts';

/** What every handler may use: the broker's state, owned by the one event loop. */
export interface BrokerState {
  config: BrokerConfig;
  identity: ClusterIdentity;
  topics: TopicManager;
  groups: GroupCoordinator;
  producerIds: ProducerIdManager;
  transactions: TransactionCoordinator;
  /** The host and port other brokers are told to connect to (the inter-broker listener's advertised address). */
  advertised: { host: string; port: number };
  /** How this broker reaches the others' inter-broker listener: TLS, and its own SASL login. */
  interBroker: LinkSecurity;
  /** Each listener's advertised address, by listener name: Metadata names brokers by the listener a client came in on. */
  listeners: Map<string, { host: string; port: number }>;
  security: BrokerSecurity;
  /** The client quotas (AlterClientQuotas) and their enforcement. */
  quotas: { store: QuotaStore; throttle: ClientThrottle };
  /** Filled once at start-up (ApiVersions reads the table it belongs to). */
  handlers: Map<number, Handler>;
  now: () => number;
  log: Logger;
  /** Aborted when the broker begins shutting down: long polls answer early. */
  stopping: AbortSignal;
  /** Set when the broker is part of a cluster (etcd.endpoints): its metadata and its replicas. */
  cluster: ClusterNode | null;
  replication: ReplicaManager | null;
}

export interface RequestContext {
  broker: BrokerState;
  clientId: string | null;
  /** The client's address as Kafka reports it in group descriptions ("/127.0.0.1"). */
  clientHost: string;
  apiVersion: number;
  /** Who the client is and how it authenticated. */
  session: Session;
  /** The request's size on the wire, as quotas count it. */
  requestBytes: number;
  /**
   * Set by a handler whose client went over a byte quota: how long the client is to be throttled.
   * The connection puts it in the response's throttle_time_ms and mutes the client that long.
   */
  throttleMs: number;
  /** Set by a handler for a request the request quota does not count (a follower's fetch). */
  quotaExempt: boolean;
}

/**
 * One API key: the versions it advertises, and how it answers. `handle` returns the response, or
 * null when none is sent (Produce with acks=0). Kafka errors go in the response as data; a thrown
 * error closes the connection.
 */
export interface Handler<Req = any, Res = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  apiKey: number;
  /** The range advertised in ApiVersions. */
  versions: { min: number; max: number };
  /**
   * The lowest version really served, when it is above the advertised minimum: librdkafka decides
   * features by exact version points, so some low versions are advertised but refused at request time.
   */
  servedFrom?: number;
  handle(ctx: RequestContext, request: Req): Res | null | Promise<Res | null>;
  /** The response that refuses a request with one error code everywhere (needed when servedFrom is set). */
  errorResponse?(request: Req, errorCode: number): Res;
}

/**
 * Thrown by a handler when the only way to tell the client about a failure is to close the
 * connection (Kafka's rule for a failed produce with acks=0, whose response nobody reads).
 */
export class CloseConnection extends Error {
  readonly code = 'MILLRACE_CLOSE_CONNECTION';
}

/** Kafka's value for "authorized operations were not asked for" in Metadata, DescribeCluster and DescribeGroups. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
