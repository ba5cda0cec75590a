import { ClusterView, type PartitionView, type ViewChanges } from './cluster-view.ts';
import { Controller } from './controller.ts';
import { clusterKeys, type ClusterKeys } from './keys.ts';
import { Membership } from './membership.ts';
import { PeerWatchdog } from './peer-watchdog.ts';
import { type Compare, MetaStore } from './meta-store.ts';
import { type BrokerRegistration, encodeRecord } from './records.ts';
import { TopicAdmin } from './topic-admin.ts';

export interface ClusterNodeOptions {
  /** etcd client URLs, such as http://127.0.0.1:2379. */
  endpoints: string[];
  /** Separates clusters sharing one etcd. */
  clusterName: string;
  registration: BrokerRegistration;
  sessionTimeoutMs: number;
  /** Watch the other brokers' listeners and end the registration of one whose port refuses connections (default true). */
  watchPeers?: boolean;
  /** Kafka's auto leader rebalance, done by the controller; null or absent for none. */
  rebalance?: { intervalMs: number; imbalancePercentage: number } | null;
  uncleanElectionAllowed(topic: string): boolean;
  log: { info(m: string): void; warn(m: string): void; error(m: string): void };
}


/**
 * One broker's part in the cluster: its registration, its copy of the metadata (listed once, then
 * kept current by a watch, re-listed if the watch is ever cancelled), the controller role when it
 * wins it, and the metadata changes a broker may make itself.
 */
export class ClusterNode {
  readonly view: ClusterView;
  /** Creating, changing, deleting, reassigning and electing topics' partitions. */
  readonly topics: TopicAdmin;
  readonly keys: ClusterKeys;
  readonly membership: Membership;
  private readonly store: MetaStore;
  private readonly controller: Controller;
  private readonly watchdog: PeerWatchdog;
  private readonly options: ClusterNodeOptions;
  private readonly listeners: ((changes: ViewChanges) => void)[] = [];
  private revisionWaiters: { revision: bigint; resolve: () => void }[] = [];
  private cancelWatch: (() => Promise<void>) | null = null;
  private closed = false;

  constructor(options: ClusterNodeOptions) {
    this.options = options;
    this.store = new MetaStore(options.endpoints);
    this.keys = clusterKeys(options.clusterName);
    this.view = new ClusterView(this.keys, (key, err) => options.log.error(`ignoring unreadable cluster metadata at ${key}: ${err.message}`));
    this.membership = new Membership({
      store: this.store,
      keys: this.keys,
      registration: options.registration,
      sessionTimeoutMs: options.sessionTimeoutMs,
      log: options.log,
      onReregistered: (epoch) => options.log.info(`registered again with broker epoch ${epoch}`),
    });
    // A broker whose process is gone ends its own registration sooner than its lease would: any
    // broker that sees its port refuse connections revokes its lease, and the controller moves on.
    this.watchdog = new PeerWatchdog(options.registration.nodeId, (broker) => {
      options.log.warn(`broker ${broker.nodeId} at ${broker.host}:${broker.port} refuses connections: ending its registration`);
      this.store.revokeLease(broker.lease).catch(() => undefined);
    });
    this.topics = new TopicAdmin(this.store, this.keys, this.view, (revision) => this.waitForRevision(revision));
    this.controller = new Controller({
      store: this.store,
      keys: this.keys,
      view: this.view,
      nodeId: options.registration.nodeId,
      lease: () => this.membership.lease,
      uncleanElectionAllowed: options.uncleanElectionAllowed,
      rebalance: options.rebalance ?? null,
      log: options.log,
    });
  }

  /** Registers the broker and reads the cluster's metadata; `listener` then hears of every change. */
  static async join(options: ClusterNodeOptions, listener: (changes: ViewChanges) => void): Promise<ClusterNode> {
    const node = new ClusterNode(options);
    node.subscribe(listener);
    await node.start();
    return node;
  }

  /** `listener` hears of every change to the view, the first listing included, in revision order. */
  subscribe(listener: (changes: ViewChanges) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    try {
      await this.membership.register();
      await this.sync();
    } catch (err) {
      this.closed = true;
      this.watchdog.stop();
      this.controller.stop();
      this.membership.stop();
      this.store.close();
      throw err;
    }
  }

  get nodeId(): number {
    return this.options.registration.nodeId;
  }

  get isController(): boolean {
    return this.controller.active;
  }

  /** Lists everything, then watches from the next revision on. */
  private async sync(): Promise<void> {
    const { values, revision } = await this.store.list(this.keys.root);
    this.publish(this.view.load(values, revision));
    const watch = await this.store.watch(this.keys.root, revision + 1n, {
      onEvents: (events, at) => this.publish(this.view.apply(events, at)),
      onCancelled: (err) => {
        if (this.closed) return;
        this.options.log.warn(`metadata watch cancelled (${err.message}): reading the cluster's metadata again`);
        void this.resync();
      },
    });
    this.cancelWatch = () => watch.cancel();
  }

  private async resync(): Promise<void> {
    for (;;) {
      try {
        await this.cancelWatch?.().catch(() => undefined);
        await this.sync();
        return;
      } catch (err) {
        this.options.log.warn(`reading the cluster's metadata failed: ${(err as Error).message}; retrying`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  private publish(changes: ViewChanges): void {
    if (!this.closed && this.options.watchPeers !== false && (changes.brokersUp.length > 0 || changes.brokersDown.length > 0)) this.watchdog.update(this.view.brokers.values());
    for (const listener of this.listeners) listener(changes);
    this.controller.poke();
    const done = this.revisionWaiters.filter((w) => w.revision <= this.view.revision);
    this.revisionWaiters = this.revisionWaiters.filter((w) => w.revision > this.view.revision);
    for (const w of done) w.resolve();
  }

  /** Resolves once this broker's view has caught up with `revision` (a write it made, say). */
  waitForRevision(revision: bigint): Promise<void> {
    if (this.view.revision >= revision) return Promise.resolve();
    return new Promise((resolve) => this.revisionWaiters.push({ revision, resolve }));
  }

  /**
   * A leader's change of its partition's ISR: applied only if the partition state is still the one
   * the leader acted on (same mod revision, so same leader and epoch), and every replica it adds
   * is still registered as the incarnation it saw (a restarted broker must catch up again).
   */
  async alterIsr(partition: PartitionView, isr: number[]): Promise<boolean> {
    const key = this.keys.partition(partition.topicId, partition.index);
    const added = isr.filter((r) => !partition.state.isr.includes(r));
    const compares: Compare[] = [{ key, target: 'mod', revision: partition.modRevision }];
    for (const r of added) {
      const broker = this.view.brokers.get(r);
      if (!broker) return false;
      compares.push({ key: this.keys.broker(r), target: 'create', revision: broker.epoch });
    }
    const result = await this.store.transaction(compares, [{ put: key, value: encodeRecord({ ...partition.state, isr }) }]);
    if (result.succeeded) await this.waitForRevision(result.revision);
    return result.succeeded;
  }

  /** The cluster's id: the first broker to ask makes it `candidate`; every broker then reports the same. */
  async clusterId(candidate: string): Promise<string> {
    const key = this.keys.clusterId;
    await this.store.transaction([{ key, target: 'create', revision: 0n }], [{ put: key, value: Buffer.from(candidate) }]);
    const stored = await this.store.get(key);
    return stored ? stored.value.toString('utf8') : candidate;
  }

  /**
   * Reserves `size` producer ids for this broker and returns the first: the cluster-wide counter
   * moves by compare-and-swap, so no two brokers ever hand out the same id. `floor` is the lowest id
   * that may be reserved (a broker that ran alone before joining has used ids below it).
   */
  async reserveProducerIds(size: number, floor: number): Promise<number> {
    const key = this.keys.producerIdBlock;
    for (;;) {
      const current = await this.store.get(key);
      const start = Math.max(current ? Number(current.value.toString('utf8')) : 0, floor);
      const result = await this.store.transaction([{ key, target: 'mod', revision: current?.modRevision ?? 0n }], [{ put: key, value: Buffer.from(String(start + size)) }]);
      if (result.succeeded) return start;
    }
  }

  /**
   * Changes one shared document by compare-and-swap: `change` gets its latest bytes (null before
   * the first write) and returns the new ones, or null to leave it as it is. Retried from a fresh
   * read when another broker wrote in between; resolves once this broker's view holds the result.
   */
  async updateDocument(name: string, change: (current: Buffer | null) => Buffer | null): Promise<Buffer | null> {
    const key = `${this.keys.documents}${name}`;
    for (;;) {
      const current = await this.store.get(key);
      const next = change(current?.value ?? null);
      if (next === null) return current?.value ?? null;
      const result = await this.store.transaction([{ key, target: 'mod', revision: current?.modRevision ?? 0n }], [{ put: key, value: next }]);
      if (result.succeeded) {
        await this.waitForRevision(result.revision);
        return next;
      }
    }
  }

  /** Leaves the cluster: the registration ends at once, so the controller moves leadership without waiting. */
  async leave(): Promise<void> {
    this.closed = true;
    this.watchdog.stop();
    this.controller.stop();
    await this.membership.leave();
    await this.cancelWatch?.().catch(() => undefined);
    this.store.close();
  }
}
