import { type DirectoryLock, type Fs, NodeFs } from '@millrace/storage';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { distinguishedName, type KafkaPrincipal, mapPrincipalName } from '@millrace/security';
import { type BrokerConfig, wholeNumber } from './config/broker-config.ts';
import { Connection } from './connection.ts';
import type { BrokerState, Handler } from './handler.ts';
import { buildHandlers } from './handlers/index.ts';
import { consoleLogger, type Logger } from './logger.ts';
import { loadClusterIdentity } from './metadata/cluster-identity.ts';
import { every, startLogCleaner, startProducerExpiration, startRecoveryPointCheckpoints, startRetention } from './log-maintenance.ts';
import { TopicManager } from './topic-manager.ts';
import { holdDataDirectory } from './data-directory.ts';
import { ProducerIdManager } from './producer-ids.ts';
import { localMarkerWriter } from './txn/marker-writers.ts';
import { TransactionCoordinator } from './txn/txn-coordinator.ts';
import { GroupCoordinator } from './group/coordinator.ts';
import { OffsetStore } from './group/offset-store.ts';
import { realTimers, type Timers } from './group/timers.ts';
import { joinCluster } from './replication/join-cluster.ts';
import { advertisedListeners, controllerListeners, listenerSpecs, type ListenerSpec, unreachableAdvertisements, usesTls } from './security/listeners.ts';
import { openSecurity } from './security/broker-security.ts';
import { interBrokerSettings } from './security/inter-broker.ts';
import { Session } from './security/session.ts';
import { addScramUsers, type ScramUserSpec } from './security/add-scram.ts';
import { QuotaStore } from './quota/quota-store.ts';
import { ClientThrottle } from './quota/client-throttle.ts';
import { ConnectionLimits } from './quota/connection-limits.ts';
import { tlsOptions } from './security/tls-options.ts';

export interface BrokerOptions {
  dataDir: string;
  /** Where the one PLAINTEXT listener listens when `listeners` is not set. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  config: BrokerConfig;
  log?: Logger;
  now?: () => number;
  /** Every file of the data directory but its lock goes through it (default: the real file system). */
  fs?: Fs;
  /** The group coordinator's timers (default: real ones). */
  timers?: Timers;
  /** SCRAM users to create if they do not exist yet (`--add-scram`). */
  addScram?: ScramUserSpec[];
}

/** Requests one connection may have unanswered before the broker stops reading from it. */
const MAX_IN_FLIGHT_PER_CONNECTION = 100;
/** How long a clean shutdown waits for in-flight requests before closing connections anyway. */
const SHUTDOWN_GRACE_MS = 5_000;

/** One open listener: its settings (with the port it got) and its server. */
interface OpenListener {
  spec: ListenerSpec;
  server: Server;
  tls: ReturnType<typeof tlsOptions> | undefined;
  /** Where its TCP connections go; until the broker serves, they are closed as they come. */
  admit: ((socket: Socket) => void) | null;
}

/** Binds a listener's port before the data directory is opened, so a port in use is found before anything is touched. */
async function bindListener(spec: ListenerSpec, tls: ReturnType<typeof tlsOptions> | undefined): Promise<OpenListener> {
  const server = tls ? createTlsServer(tls) : createServer();
  const listener: OpenListener = { spec, server, tls, admit: null };
  // Each TCP connection is admitted before anything else (a TLS handshake included) runs on it.
  server.prependListener('connection', (socket: Socket) => (listener.admit ? listener.admit(socket) : socket.destroy()));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(spec.port, spec.host, () => resolve());
  });
  const address = server.address();
  listener.spec = { ...spec, port: typeof address === 'object' && address ? address.port : spec.port };
  return listener;
}

export class Broker {
  readonly state: BrokerState;
  private listeners: OpenListener[] = [];
  private readonly connections = new Set<Connection>();
  private readonly stopController: AbortController;
  private stopMaintenance: (() => void)[] = [];
  private readonly connectionLimits: ConnectionLimits;
  /** Every admitted TCP connection, TLS handshakes included, so that stop() closes them all. */
  private readonly sockets = new Set<Socket>();
  private lastRefusalLogged = 0;
  private readonly dataDirLock: DirectoryLock;

  private constructor(state: BrokerState, stopController: AbortController, connectionLimits: ConnectionLimits, dataDirLock: DirectoryLock) {
    this.state = state;
    this.stopController = stopController;
    this.connectionLimits = connectionLimits;
    this.dataDirLock = dataDirLock;
  }

  static async start(options: BrokerOptions): Promise<Broker> {
    const log = options.log ?? consoleLogger();
    const now = options.now ?? Date.now;
    const fs = options.fs ?? new NodeFs();
    const nodeId = Number(options.config.values['node.id']);
    const specs = listenerSpecs(options.config, options);
    for (const [key, why] of options.config.unused) log.info(`not using ${key}: ${why}`);
    const controllers = controllerListeners(options.config);
    if (controllers.length > 0) log.info(`not opening listener ${controllers.join(', ')}: controller.listener.names names it a KRaft controller's, and Millrace has no separate controller`);
    // TLS settings are read before anything touches the data directory: a bad path is one clear error.
    const tlsByListener = new Map(specs.filter((l) => usesTls(l.securityProtocol)).map((l) => [l.name, tlsOptions(options.config, l.name)]));
    const interBroker = interBrokerSettings(options.config, specs, tlsByListener);
    // quota.window.size.seconds: how far ahead of its quota a client may run before it is throttled.
    const quotaBurstMs = wholeNumber('quota.window.size.seconds', options.config.values['quota.window.size.seconds'], 1) * 1000;
    const mutationBurstMs = Number(options.config.values['controller.quota.window.num']) * Number(options.config.values['controller.quota.window.size.seconds']) * 1000;
    const maxIdleMs = wholeNumber('connections.max.idle.ms', options.config.values['connections.max.idle.ms'], -1);
    let quotaStore: QuotaStore | null = null;
    const connectionLimits = new ConnectionLimits(options.config, specs.map((l) => l.name), (ip) => quotaStore!.ipConnectionRate(ip), quotaBurstMs);
    // Nothing in the data directory is read or written before its lock and every port are held.
    const lock = holdDataDirectory(options.dataDir);
    const listeners: OpenListener[] = [];
    let topicsOpened: TopicManager | null = null;
    let serving: Broker | null = null;
    try {
      for (const spec of specs) listeners.push(await bindListener(spec, tlsByListener.get(spec.name)));
      await fs.mkdirp(options.dataDir);
      const identity = await loadClusterIdentity(fs, options.dataDir, nodeId);
      const security = await openSecurity(fs, options.dataDir, options.config, specs, log);
      quotaStore = await QuotaStore.open(fs, options.dataDir);
      const added = await addScramUsers(security.scram, options.addScram ?? []);
      if (added.length > 0) log.info(`added SCRAM credentials for ${added.join(', ')}`);
      const topics = (topicsOpened = await TopicManager.open(options.dataDir, options.config, now, log, fs));
      const setting = (key: string) => Number(options.config.values[key]);
      const offsets = await OffsetStore.open(topics, setting('offsets.topic.num.partitions'), setting('offsets.topic.segment.bytes'));
      const groups = new GroupCoordinator(offsets, {
        offsetsRetentionMs: setting('offsets.retention.minutes') * 60_000,
        minSessionTimeoutMs: setting('group.min.session.timeout.ms'),
        maxSessionTimeoutMs: setting('group.max.session.timeout.ms'),
        initialRebalanceDelayMs: setting('group.initial.rebalance.delay.ms'),
        maxMetadataBytes: setting('offset.metadata.max.bytes'),
      }, options.timers ?? realTimers, (err) => log.error(`storing group metadata failed: ${err.message}`));
      const producerIds = await ProducerIdManager.open(options.dataDir, fs);
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
        interBroker: interBroker.security,
        listeners: advertisedListeners(options.config, listeners.map((l) => l.spec)),
        security,
        quotas: { store: quotaStore, throttle: new ClientThrottle(quotaStore, quotaBurstMs, mutationBurstMs) },
        handlers: new Map<number, Handler>(),
        now,
        log,
        stopping: stopController.signal,
        cluster: null,
        replication: null,
      };
      state.advertised = state.listeners.get(interBroker.listener.name)!;
      for (const warning of unreachableAdvertisements(listeners.map((l) => l.spec), state.listeners)) log.warn(warning);
      state.handlers = buildHandlers(state);
      // In a cluster the coordinator starts once it joins (each transactional id is served by the leader of its partition).
      if (!options.config.values['etcd.endpoints']) await transactions.start(localMarkerWriter(state));
      groups.startExpiry(setting('offsets.retention.check.interval.ms'), (err) => log.error(`offset expiry failed: ${err.message}`));
      const broker = (serving = new Broker(state, stopController, connectionLimits, lock));
      for (const listener of listeners) broker.serve(listener);
      if (options.config.values['etcd.endpoints']) {
        await joinCluster(state);
        // The users are now the cluster's: one --add-scram asks for is added there if it is missing.
        const addedToCluster = await addScramUsers(security.scram, options.addScram ?? []);
        if (addedToCluster.length > 0) log.info(`added SCRAM credentials for ${addedToCluster.join(', ')} to the cluster`);
      }
      broker.stopMaintenance = [
        startRetention(state, setting('log.retention.check.interval.ms')),
        startRecoveryPointCheckpoints(state, setting('log.flush.offset.checkpoint.interval.ms')),
        startProducerExpiration(state, setting('producer.id.expiration.check.interval.ms'), setting('producer.id.expiration.ms')),
        every(setting('transaction.abort.timed.out.transaction.cleanup.interval.ms'), () => transactions.abortTimedOut(), (err) => log.error(`aborting timed-out transactions failed: ${err.message}`)),
        every(setting('transaction.remove.expired.transaction.cleanup.interval.ms'), () => transactions.expireTransactionalIds(setting('transactional.id.expiration.ms')), (err) => log.error(`expiring transactional ids failed: ${err.message}`)),
      ];
      if (options.config.values['log.cleaner.enable'] === 'true') broker.stopMaintenance.push(startLogCleaner(state, setting('log.cleaner.backoff.ms')));
      if (maxIdleMs >= 0) {
        broker.stopMaintenance.push(every(Math.max(100, Math.min(30_000, maxIdleMs / 4)), async () => {
          for (const connection of broker.connections) connection.closeIfIdle(maxIdleMs, Date.now());
        }, (err) => log.error(`closing idle connections failed: ${err.message}`)));
      }
      return broker;
    } catch (err) {
      // Once serving, clients may be connected and the cluster joined: all of it is stopped.
      if (serving) await serving.stop().catch((stopErr: Error) => log.error(`stopping after a failed start: ${stopErr.message}`));
      else {
        for (const l of listeners) l.server.close();
        await topicsOpened?.close();
        lock.release();
      }
      throw err;
    }
  }

  /** The port of the first listener. */
  get port(): number {
    return this.listeners[0]?.spec.port ?? -1;
  }

  /** Every listener with the port it listens on. */
  get boundListeners(): ListenerSpec[] {
    return this.listeners.map((l) => l.spec);
  }

  /** Hands a bound listener's connections to this broker. */
  private serve(listener: OpenListener): void {
    this.listeners.push(listener);
    const { spec, server, tls } = listener;
    listener.admit = (socket) => this.admit(socket, spec);
    if (tls) {
      server.on('secureConnection', (socket: TLSSocket) => this.acceptTls(socket, spec, tls));
      server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: Socket) => {
        // A client gone before its handshake ended (a refused connection, a port probe) is no failure of TLS.
        if (err.code !== 'ECONNRESET') this.state.log.warn(`TLS handshake with ${socket.remoteAddress ?? 'a client'} on listener ${spec.name} failed: ${err.message}`);
      });
    } else {
      server.on('connection', (socket: Socket) => {
        if (!socket.destroyed) this.accept(socket, new Session(spec, null));
      });
    }
  }

  /**
   * A TLS connection's principal is its client certificate's (mapped) name. A certificate the
   * truststore does not vouch for is refused, and so is none at all where ssl.client.auth=required.
   */
  private acceptTls(socket: TLSSocket, spec: ListenerSpec, { clientAuth, mappingRules }: ReturnType<typeof tlsOptions>): void {
    const certificate = clientAuth === 'none' ? undefined : socket.getPeerX509Certificate();
    const refuse = (why: string) => {
      this.state.log.warn(`refusing ${socket.remoteAddress}:${socket.remotePort} on listener ${spec.name}: ${why}`);
      socket.destroy();
    };
    if (!certificate && clientAuth === 'required') return refuse('it sent no client certificate (ssl.client.auth=required)');
    let principal: KafkaPrincipal | null = null;
    if (certificate) {
      if (!socket.authorized) return refuse(`its client certificate is not trusted (${socket.authorizationError})`);
      try {
        principal = { type: 'User', name: mapPrincipalName(mappingRules, distinguishedName(certificate)) };
      } catch (err) {
        return refuse((err as Error).message);
      }
    }
    this.accept(socket, new Session(spec, principal));
  }

  /** Counts a new TCP connection against the connection limits, or closes it at once. */
  private admit(socket: Socket, spec: ListenerSpec): void {
    const address = socket.remoteAddress;
    const refused = address === undefined ? 'it is gone' : this.connectionLimits.admit(address, spec.name, this.state.now());
    if (refused !== null) {
      // One line a second at most: refusals come in floods.
      if (Date.now() - this.lastRefusalLogged >= 1000) {
        this.lastRefusalLogged = Date.now();
        this.state.log.warn(`refusing a connection from ${address} on listener ${spec.name}: ${refused}`);
      }
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.connectionLimits.release(address!, spec.name);
    });
  }

  private accept(socket: Socket, session: Session): void {
    if (this.stopController.signal.aborted) {
      socket.destroy();
      return;
    }
    const values = this.state.config.values;
    const connection = new Connection(socket, this.state, {
      maxFrameBytes: Number(values['socket.request.max.bytes']),
      preAuthFrameBytes: Number(values['sasl.server.max.receive.size']),
      failedAuthDelayMs: Number(values['connection.failed.authentication.delay.ms']),
      maxInFlight: MAX_IN_FLIGHT_PER_CONNECTION,
    }, session);
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }

  /** Clean shutdown: stop accepting, end long polls, let in-flight requests finish, flush and close the logs. */
  async stop(): Promise<void> {
    if (this.stopController.signal.aborted) return;
    // Leaving first: the controller moves this broker's leaderships away while it still answers.
    // A broker that cannot leave still stops; its lease runs out and the others take over.
    await this.state.cluster?.leave().catch((err: Error) => this.state.log.error(`leaving the cluster failed: ${err.message}`));
    this.state.replication?.stop();
    this.stopController.abort();
    for (const stop of this.stopMaintenance) stop();
    const closed = Promise.all(this.listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve()))));
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while ([...this.connections].some((c) => !c.idle) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const connection of this.connections) connection.close(null);
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.state.groups.stop();
    for (const validator of this.state.security.oauth.values()) validator.close();
    try {
      await this.state.topics.close();
    } finally {
      this.dataDirLock.release();
    }
  }
}
