import {
  API_TABLE, ApiKey, createFindCoordinatorRequest, createMetadataRequest, createMetadataRequestMetadataRequestTopic, ErrorCode, type FindCoordinatorResponse, isRetriable, type MetadataRequest, type MetadataResponse,
} from '@millrace/protocol';
import { type BrokerVersions, pickVersion } from './api-versions.ts';
import { openBrokerLink } from './broker-link.ts';
import { Connection, ConnectionError, DEFAULT_MAX_IN_FLIGHT } from './connection.ts';
import { ClientError, KafkaError } from './errors.ts';
import type { SaslSettings } from './sasl.ts';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';

export interface ClusterOptions {
  /** Bootstrap servers, "host:port". */
  brokers: string[];
  clientId?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Unanswered requests per broker connection; more wait their turn. Default 5. */
  maxInFlightRequests?: number;
  /** TLS settings (ca, cert, key, ...) for SSL and SASL_SSL listeners; absent for plaintext ones. */
  tls?: TlsConnectionOptions;
  /** A SASL login for SASL_PLAINTEXT and SASL_SSL listeners. */
  sasl?: SaslSettings;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  errorCode: number;
}

export interface SendOptions {
  /** false for requests the broker does not answer (Produce with acks=0). */
  expectResponse?: boolean;
  /** How long to wait for the answer, when a request may rightly take longer than requestTimeoutMs (JoinGroup, Fetch). */
  timeoutMs?: number;
}

interface BrokerLink {
  connection: Connection;
  versions: BrokerVersions;
}

/** Metadata versions this client reads (v1 has the controller and rack; v9+ is flexible). */
const METADATA_VERSIONS = [1, 12] as const;
/** v4+ batches keys; v1 is the first with a key type (transactional ids). */
const FIND_COORDINATOR_VERSIONS = [1, 5] as const;

/** Which kind of coordinator to look for (FindCoordinator's key type). */
export const CoordinatorType = { GROUP: 0, TRANSACTION: 1 } as const;

/** Metadata of `topics` (null: every topic); auto-creation can only be asked for from v4 on. */
export function metadataRequest(topics: readonly string[] | null, autoCreate: boolean, version: number): MetadataRequest {
  return createMetadataRequest({ topics: topics && topics.map((name) => createMetadataRequestMetadataRequestTopic({ name })), allowAutoTopicCreation: autoCreate && version >= 4 });
}

function parseAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  if (at <= 0) throw new ClientError('MILLRACE_INVALID_ARGUMENT', `broker address "${address}" is not host:port`);
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}

/**
 * What a client knows of the cluster: its brokers, one connection to each with the API versions it
 * negotiated, and a metadata cache of partition leaders, refreshed when a broker says it is stale.
 */
export class Cluster {
  readonly clientId: string;
  private readonly bootstrap: { host: string; port: number }[];
  private readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  private readonly maxInFlight: number;
  private readonly tls: TlsConnectionOptions | undefined;
  private readonly sasl: SaslSettings | undefined;
  private readonly brokers = new Map<number, { host: string; port: number }>();
  private readonly links = new Map<number, Promise<BrokerLink>>();
  private readonly partitions = new Map<string, PartitionInfo[]>();
  /** Why the last refresh found no partitions for a topic. */
  private readonly topicErrors = new Map<string, number>();
  /** Coordinator node per "<type>:<key>", learned from FindCoordinator. */
  private readonly coordinators = new Map<string, number>();
  private bootstrapLink: Promise<BrokerLink> | undefined;
  private closed = false;

  constructor(options: ClusterOptions) {
    if (options.brokers.length === 0) throw new ClientError('MILLRACE_INVALID_ARGUMENT', 'at least one bootstrap broker is needed');
    this.bootstrap = options.brokers.map(parseAddress);
    this.clientId = options.clientId ?? 'millrace';
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxInFlight = options.maxInFlightRequests ?? DEFAULT_MAX_IN_FLIGHT;
    this.tls = options.tls;
    this.sasl = options.sasl;
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1) throw new ClientError('MILLRACE_INVALID_ARGUMENT', `maxInFlightRequests must be a positive integer, not ${options.maxInFlightRequests}`);
  }

  private async open(address: { host: string; port: number }): Promise<BrokerLink> {
    if (this.closed) throw new ClientError('MILLRACE_CLIENT_CLOSED', 'the client is closed');
    return openBrokerLink(address.host, address.port, {
      clientId: this.clientId, connectTimeoutMs: this.connectTimeoutMs, requestTimeoutMs: this.requestTimeoutMs, maxInFlight: this.maxInFlight, tls: this.tls, sasl: this.sasl,
    });
  }

  /** A live connection to any broker: one already open, else the bootstrap servers in turn until one answers. */
  private async anyLink(): Promise<BrokerLink> {
    for (const nodeId of [...this.links.keys()]) {
      const link = await this.links.get(nodeId)?.catch(() => null);
      if (link && !link.connection.closed) return link;
    }
    // Checked and replaced without an await in between, so concurrent callers share one connection.
    const pending = this.bootstrapLink;
    if (pending) {
      const bootstrap = await pending.catch(() => null);
      if (bootstrap && !bootstrap.connection.closed) return bootstrap;
      if (this.bootstrapLink !== pending) return this.anyLink();
    }
    this.bootstrapLink = (async () => {
      let last: unknown;
      for (const address of this.bootstrap) {
        try {
          return await this.open(address);
        } catch (err) {
          last = err;
        }
      }
      throw last;
    })();
    return this.bootstrapLink;
  }

  /** The connection to broker `nodeId`, opened again if it was lost; concurrent callers share one. */
  private async link(nodeId: number): Promise<BrokerLink> {
    const pending = this.links.get(nodeId);
    if (pending) {
      const existing = await pending.catch(() => null);
      if (existing && !existing.connection.closed) return existing;
      // Someone else replaced it while this waited: use theirs.
      if (this.links.get(nodeId) !== pending && this.links.has(nodeId)) return this.link(nodeId);
    }
    const address = this.brokers.get(nodeId);
    if (!address) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, { message: `broker ${nodeId} is not in the metadata` });
    const link = this.open(address);
    this.links.set(nodeId, link);
    link.catch(() => {
      if (this.links.get(nodeId) === link) this.links.delete(nodeId);
    });
    return link;
  }

  /**
   * Runs `attempt` until it succeeds, a non-transient error, or `requestTimeoutMs` has passed,
   * pausing between tries (100 ms, doubling up to 1 s): for requests any broker may answer.
   */
  async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.requestTimeoutMs;
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (err) {
        if (!isTransient(err) || Date.now() >= deadline || this.closed) throw err;
        await new Promise((r) => setTimeout(r, Math.min(1000, 100 * 2 ** tries)));
      }
    }
  }

  /**
   * Sends a request to broker `nodeId` (or any broker when null) at the highest version both speak
   * within `versions`; `body` builds the request for that version.
   */
  async send<T>(nodeId: number | null, apiKey: number, versions: readonly [number, number], body: (version: number) => object, options: SendOptions = {}): Promise<{ response: T; version: number }> {
    const link = nodeId === null ? await this.anyLink() : await this.link(nodeId);
    const version = pickVersion(link.versions, apiKey, versions[0], versions[1]);
    if (options.expectResponse === false) {
      link.connection.send(apiKey, version, body(version));
      return { response: undefined as T, version };
    }
    return { response: await link.connection.request<T>(apiKey, version, body(version), options.timeoutMs ?? this.requestTimeoutMs), version };
  }

  /** Refreshes the metadata of `topics` (creating them when the broker allows and `autoCreate`). */
  async refresh(topics: string[], autoCreate = false): Promise<void> {
    const { response } = await this.retrying(() => this.send<MetadataResponse>(null, ApiKey.Metadata, METADATA_VERSIONS, (v) => metadataRequest(topics, autoCreate, v)));
    for (const b of response.brokers) this.brokers.set(b.nodeId, { host: b.host, port: b.port });
    for (const t of response.topics) {
      if (t.name === null) continue;
      if (t.errorCode !== ErrorCode.NONE) {
        this.partitions.delete(t.name);
        this.topicErrors.set(t.name, t.errorCode);
        continue;
      }
      this.topicErrors.delete(t.name);
      this.partitions.set(t.name, t.partitions.map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, errorCode: p.errorCode })).sort((a, b) => a.partition - b.partition));
    }
  }

  /** The partitions of `topic`, from the cache or a refresh; KafkaError if the topic cannot be used. */
  /** The partitions of `topic` if its metadata is cached, without asking. */
  knownPartitions(topic: string): PartitionInfo[] | undefined {
    return this.partitions.get(topic);
  }

  async topicPartitions(topic: string, autoCreate = false): Promise<PartitionInfo[]> {
    let known = this.partitions.get(topic);
    if (!known) {
      await this.refresh([topic], autoCreate);
      known = this.partitions.get(topic);
    }
    if (!known) throw new KafkaError(this.topicErrors.get(topic) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, { api: 'Metadata', topic });
    return known;
  }

  /**
   * The node coordinating group (or transactional id) `key`: cached, else asked of any broker with
   * FindCoordinator, retried while the coordinator is still loading or not available.
   */
  async coordinator(key: string, type: number = CoordinatorType.GROUP): Promise<number> {
    const cacheKey = `${type}:${key}`;
    const known = this.coordinators.get(cacheKey);
    if (known !== undefined) return known;
    const node = await this.retrying(async () => {
      const { response, version } = await this.send<FindCoordinatorResponse>(null, ApiKey.FindCoordinator, FIND_COORDINATOR_VERSIONS, (v) =>
        createFindCoordinatorRequest(v >= 4 ? { keyType: type, coordinatorKeys: [key] } : { key, keyType: type }));
      const found = version >= 4 ? response.coordinators[0] : response;
      if (!found) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, { api: 'FindCoordinator', message: `no coordinator for ${key}` });
      if (found.errorCode !== ErrorCode.NONE) throw new KafkaError(found.errorCode, { api: 'FindCoordinator', message: found.errorMessage });
      this.brokers.set(found.nodeId, { host: found.host, port: found.port });
      return found.nodeId;
    });
    this.coordinators.set(cacheKey, node);
    return node;
  }

  /**
   * Sends a request to the coordinator of `key` and checks its answer with `errorOf`: on
   * NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE (or a lost connection) the coordinator is looked
   * up again and the request resent; other retriable errors are retried too, until the request timeout.
   */
  async sendToCoordinator<T>(key: string, type: number, apiKey: number, versions: readonly [number, number], body: (version: number) => object, errorOf: (response: T) => number = () => ErrorCode.NONE, options: SendOptions = {}): Promise<{ response: T; version: number }> {
    return this.retrying(async () => {
      const node = await this.coordinator(key, type);
      try {
        const answer = await this.send<T>(node, apiKey, versions, body, options);
        const code = errorOf(answer.response);
        if (code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE) this.coordinators.delete(`${type}:${key}`);
        if (code !== ErrorCode.NONE && isRetriable(code)) throw new KafkaError(code, { api: API_TABLE[apiKey]?.name });
        return answer;
      } catch (err) {
        if (err instanceof ConnectionError) this.coordinators.delete(`${type}:${key}`);
        throw err;
      }
    });
  }

  /** Forgets what is cached about `topic`, after a broker said the cache is stale. */
  invalidate(topic: string): void {
    this.partitions.delete(topic);
  }

  close(): void {
    this.closed = true;
    for (const link of this.links.values()) link.then((l) => l.connection.close(), () => undefined);
    void this.bootstrapLink?.then((l) => l.connection.close(), () => undefined);
    this.links.clear();
  }
}

/** Errors worth retrying after a metadata refresh or a pause: the broker's retriable ones and lost connections. */
export function isTransient(err: unknown): boolean {
  if (err instanceof KafkaError) return err.retriable;
  return err instanceof ConnectionError;
}
