import { mkdirSync } from 'node:fs';
import { NodeFs } from '@millrace/storage';
import { createServer, type Server, type Socket } from 'node:net';
import type { BrokerConfig } from './config/broker-config.ts';
import { Connection } from './connection.ts';
import type { BrokerState, Handler } from './handler.ts';
import { buildHandlers } from './handlers/index.ts';
import { consoleLogger, type Logger } from './logger.ts';
import { loadClusterIdentity } from './metadata/cluster-identity.ts';
import { every, startLogCleaner, startProducerExpiration, startRecoveryPointCheckpoints, startRetention } from './log-maintenance.ts';
import { TopicManager } from './topic-manager.ts';
import { ProducerIdManager } from './producer-ids.ts';
import { localMarkerWriter } from './txn/marker-writers.ts';
import { TransactionCoordinator } from './txn/txn-coordinator.ts';
import { GroupCoordinator } from './group/coordinator.ts';
import { OffsetStore } from './group/offset-store.ts';
import { realTimers } from './group/timers.ts';
import { joinCluster } from './replication/join-cluster.ts';

export interface BrokerOptions {
  dataDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  config: BrokerConfig;
  log?: Logger;
  now?: () => number;
}

/** Requests one connection may have unanswered before the broker stops reading from it. */
const MAX_IN_FLIGHT_PER_CONNECTION = 100;
/** How long a clean shutdown waits for in-flight requests before closing connections anyway. */
const SHUTDOWN_GRACE_MS = 5_000;

export class Broker {
  readonly state: BrokerState;
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly stopController: AbortController;
  private stopMaintenance: (() => void)[] = [];

  private constructor(state: BrokerState, server: Server, stopController: AbortController) {
    this.state = state;
    this.server = server;
    this.stopController = stopController;
  }

  static async start(options: BrokerOptions): Promise<Broker> {
    const log = options.log ?? consoleLogger();
    const now = options.now ?? Date.now;
    const nodeId = Number(options.config.values['node.id']);
    mkdirSync(options.dataDir, { recursive: true });
    const identity = await loadClusterIdentity(new NodeFs(), options.dataDir, nodeId);
    const topics = await TopicManager.open(options.dataDir, options.config, now, log);
    const setting = (key: string) => Number(options.config.values[key]);
    const offsets = await OffsetStore.open(topics, setting('offsets.topic.num.partitions'), setting('offsets.topic.segment.bytes'));
    const groups = new GroupCoordinator(offsets, {
      offsetsRetentionMs: setting('offsets.retention.minutes') * 60_000,
      minSessionTimeoutMs: setting('group.min.session.timeout.ms'),
      maxSessionTimeoutMs: setting('group.max.session.timeout.ms'),
      initialRebalanceDelayMs: setting('group.initial.rebalance.delay.ms'),
      maxMetadataBytes: setting('offset.metadata.max.bytes'),
    }, realTimers, (err) => log.error(`storing group metadata failed: ${err.message}`));
    const producerIds = await ProducerIdManager.open(options.dataDir);
    const transactions = await TransactionCoordinator.open(topics, offsets, producerIds, {
      partitionCount: setting('transaction.state.log.num.partitions'),
      segmentBytes: setting('transaction.state.log.segment.bytes'),
      maxTimeoutMs: setting('transaction.max.timeout.ms'),
      now,
      log,
    });
    const stopController = new AbortController();
    const state: BrokerState = {
      config: options.config,
      identity,
      topics,
      groups,
      producerIds,
      transactions,
      advertised: { host: options.host, port: options.port },
      handlers: new Map<number, Handler>(),
      now,
      log,
      stopping: stopController.signal,
      cluster: null,
      replication: null,
    };
    state.handlers = buildHandlers(state);
    // In a cluster the coordinator starts once it joins (each transactional id is served by the leader of its partition).
    if (!options.config.values['etcd.endpoints']) await transactions.start(localMarkerWriter(state));
    groups.startExpiry(setting('offsets.retention.check.interval.ms'), (err) => log.error(`offset expiry failed: ${err.message}`));
    const server = createServer();
    const broker = new Broker(state, server, stopController);
    server.on('connection', (socket: Socket) => broker.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    state.advertised = advertisedAddress(options.config, options.host, port);
    if (options.config.values['etcd.endpoints']) {
      try {
        await joinCluster(state);
      } catch (err) {
        server.close();
        await state.topics.close();
        throw err;
      }
    }
    broker.stopMaintenance = [
      startRetention(state, setting('log.retention.check.interval.ms')),
      startRecoveryPointCheckpoints(state, setting('log.flush.offset.checkpoint.interval.ms')),
      startProducerExpiration(state, setting('producer.id.expiration.check.interval.ms'), setting('producer.id.expiration.ms')),
      every(setting('transaction.abort.timed.out.transaction.cleanup.interval.ms'), () => transactions.abortTimedOut(), (err) => log.error(`aborting timed-out transactions failed: ${err.message}`)),
      every(setting('transaction.remove.expired.transaction.cleanup.interval.ms'), () => transactions.expireTransactionalIds(setting('transactional.id.expiration.ms')), (err) => log.error(`expiring transactional ids failed: ${err.message}`)),
    ];
    if (options.config.values['log.cleaner.enable'] === 'true') broker.stopMaintenance.push(startLogCleaner(state, setting('log.cleaner.backoff.ms')));
    return broker;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : -1;
  }

  private accept(socket: Socket): void {
    if (this.stopController.signal.aborted) {
      socket.destroy();
      return;
    }
    const connection = new Connection(socket, this.state, {
      maxFrameBytes: Number(this.state.config.values['socket.request.max.bytes']),
      maxInFlight: MAX_IN_FLIGHT_PER_CONNECTION,
    });
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }

  /** Clean shutdown: stop accepting, end long polls, let in-flight requests finish, flush and close the logs. */
  async stop(): Promise<void> {
    if (this.stopController.signal.aborted) return;
    // Leaving first: the controller moves this broker's leaderships away while it still answers.
    await this.state.cluster?.leave();
    this.state.replication?.stop();
    this.stopController.abort();
    for (const stop of this.stopMaintenance) stop();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while ([...this.connections].some((c) => !c.idle) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const connection of this.connections) connection.close(null);
    await closed;
    this.state.groups.stop();
    await this.state.topics.close();
  }
}

/** advertised.listeners (PLAINTEXT://host:port) when set, else the address the broker listens on. */
function advertisedAddress(config: BrokerConfig, host: string, port: number): { host: string; port: number } {
  const listener = config.values['advertised.listeners'];
  if (listener) {
    const match = /^(?:[A-Z_]+:\/\/)?(\[[^\]]+\]|[^:]+):(\d+)$/.exec(listener.split(',')[0].trim());
    if (!match) throw new Error(`advertised.listeners "${listener}" is not of the form PLAINTEXT://host:port`);
    return { host: match[1].replace(/^\[|\]$/g, ''), port: Number(match[2]) };
  }
  return { host: host === '0.0.0.0' || host === '::' ? 'localhost' : host, port };
}
