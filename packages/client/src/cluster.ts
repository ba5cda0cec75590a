import { ApiKey, createMetadataRequest, createMetadataRequestMetadataRequestTopic, ErrorCode, type MetadataResponse } from '@millrace/protocol';
import { type BrokerVersions, negotiateVersions, pickVersion } from './api-versions.ts';
import { Connection, ConnectionError } from './connection.ts';
import { ClientError, KafkaError } from './errors.ts';

export interface ClusterOptions {
  /** Bootstrap servers, "host:port". */
  brokers: string[];
  clientId?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  errorCode: number;
}

interface BrokerLink {
  connection: Connection;
  versions: BrokerVersions;
}

const SOFTWARE = { name: 'millrace-client', version: '0.1.0' };
/** Metadata versions this client reads (v1 has the controller and rack; v9+ is flexible). */
const METADATA_VERSIONS = [1, 12] as const;

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
  private readonly brokers = new Map<number, { host: string; port: number }>();
  private readonly links = new Map<number, Promise<BrokerLink>>();
  private readonly partitions = new Map<string, PartitionInfo[]>();
  /** Why the last refresh found no partitions for a topic. */
  private readonly topicErrors = new Map<string, number>();
  private bootstrapLink: Promise<BrokerLink> | undefined;
  private closed = false;

  constructor(options: ClusterOptions) {
    if (options.brokers.length === 0) throw new ClientError('MILLRACE_INVALID_ARGUMENT', 'at least one bootstrap broker is needed');
    this.bootstrap = options.brokers.map(parseAddress);
    this.clientId = options.clientId ?? 'millrace';
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  private async open(address: { host: string; port: number }): Promise<BrokerLink> {
    if (this.closed) throw new ClientError('MILLRACE_CLIENT_CLOSED', 'the client is closed');
    const connection = await Connection.open(address.host, address.port, this.clientId, this.connectTimeoutMs);
    try {
      return { connection, versions: await negotiateVersions(connection, SOFTWARE) };
    } catch (err) {
      connection.close();
      throw err;
    }
  }

  /** A live connection to any broker: one already open, else the bootstrap servers in turn until one answers. */
  private async anyLink(): Promise<BrokerLink> {
    for (const nodeId of [...this.links.keys()]) {
      const link = await this.links.get(nodeId)?.catch(() => null);
      if (link && !link.connection.closed) return link;
    }
    const bootstrap = await this.bootstrapLink?.catch(() => null);
    if (bootstrap && !bootstrap.connection.closed) return bootstrap;
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

  /** The connection to broker `nodeId`, opened again if it was lost. */
  private async link(nodeId: number): Promise<BrokerLink> {
    const existing = await this.links.get(nodeId)?.catch(() => null);
    if (existing && !existing.connection.closed) return existing;
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
  async send<T>(nodeId: number | null, apiKey: number, versions: readonly [number, number], body: (version: number) => object, options: { expectResponse?: boolean } = {}): Promise<{ response: T; version: number }> {
    const link = nodeId === null ? await this.anyLink() : await this.link(nodeId);
    const version = pickVersion(link.versions, apiKey, versions[0], versions[1]);
    if (options.expectResponse === false) {
      link.connection.send(apiKey, version, body(version));
      return { response: undefined as T, version };
    }
    return { response: await link.connection.request<T>(apiKey, version, body(version), this.requestTimeoutMs), version };
  }

  /** Refreshes the metadata of `topics` (creating them when the broker allows and `autoCreate`). */
  async refresh(topics: string[], autoCreate = false): Promise<void> {
    const { response } = await this.retrying(() => this.send<MetadataResponse>(null, ApiKey.Metadata, METADATA_VERSIONS, (v) =>
      createMetadataRequest({ topics: topics.map((name) => createMetadataRequestMetadataRequestTopic({ name })), allowAutoTopicCreation: autoCreate && v >= 4 })));
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
  async topicPartitions(topic: string, autoCreate = false): Promise<PartitionInfo[]> {
    let known = this.partitions.get(topic);
    if (!known) {
      await this.refresh([topic], autoCreate);
      known = this.partitions.get(topic);
    }
    if (!known) throw new KafkaError(this.topicErrors.get(topic) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, { api: 'Metadata', topic });
    return known;
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
