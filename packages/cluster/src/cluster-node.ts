import { randomBytes, randomInt } from 'node:crypto';
import { ErrorCode } from '@millrace/protocol';
import { assignReplicas, assignReplicasRackAware } from './assignment.ts';
import { ClusterView, type PartitionView, type ViewChanges } from './cluster-view.ts';
import { Controller } from './controller.ts';
import { electPreferred, electUnclean } from './elections.ts';
import { clusterKeys, type ClusterKeys } from './keys.ts';
import { Membership } from './membership.ts';
import { PeerWatchdog } from './peer-watchdog.ts';
import { type Compare, MetaStore, type Operation } from './meta-store.ts';
import { type BrokerRegistration, encodeRecord, type TopicAssignment } from './records.ts';

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

/** Thrown when a change to the cluster's metadata cannot be made as asked; `errorCode` is the Kafka error. */
export class ClusterChangeError extends Error {
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super(message);
    this.errorCode = errorCode;
  }
}

/** etcd refuses a transaction with more operations than this (its --max-txn-ops default). */
const MAX_TXN_OPS = 128;

/**
 * One broker's part in the cluster: its registration, its copy of the metadata (listed once, then
 * kept current by a watch, re-listed if the watch is ever cancelled), the controller role when it
 * wins it, and the metadata changes a broker may make itself.
 */
export class ClusterNode {
  readonly view: ClusterView;
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
   * Creates a topic: partition states first (invisible while no topic names their id), then the
   * topic key, created only if absent: that write is the commit point. `replicas` is an explicit
   * assignment, else Kafka's spread over the live brokers.
   */
  async createTopic(name: string, partitions: number, replicationFactor: number, configs: Record<string, string>, replicas?: number[][]): Promise<TopicAssignment> {
    const live = [...this.view.brokers.keys()].sort((a, b) => a - b);
    if (!replicas && replicationFactor > live.length) {
      throw new ClusterChangeError(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${replicationFactor} is larger than the ${live.length} available brokers`);
    }
    const assignment: TopicAssignment = { id: randomBytes(16).toString('base64url'), replicas: replicas ?? this.assign(live, partitions, replicationFactor), configs };
    const states: Operation[] = assignment.replicas.map((r, index) => ({
      put: this.keys.partition(assignment.id, index),
      value: encodeRecord({ leader: r.find((b) => this.view.brokers.has(b)) ?? r[0], leaderEpoch: 0, isr: r, controllerEpoch: this.view.controllerEpoch }),
    }));
    for (let i = 0; i < states.length; i += MAX_TXN_OPS) await this.store.transaction([], states.slice(i, i + MAX_TXN_OPS));
    const topicKey = this.keys.topic(name);
    const result = await this.store.transaction([{ key: topicKey, target: 'create', revision: 0n }], [{ put: topicKey, value: encodeRecord(assignment) }]);
    if (!result.succeeded) {
      await this.store.transaction([], [{ deletePrefix: this.keys.partitionsOf(assignment.id) }]);
      throw new ClusterChangeError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${name}' already exists`);
    }
    await this.waitForRevision(result.revision);
    return assignment;
  }

  /**
   * Changes a topic's config overrides, or adds partitions to it (spread over the live brokers with
   * the topic's replication factor, unless `replicas` names them): one transaction that also
   * writes the new partitions' states, applied only if the topic is unchanged since we read it.
   */
  async updateTopic(name: string, change: { configs?: Record<string, string>; partitions?: number; replicas?: number[][] }): Promise<void> {
    const topic = this.view.topics.get(name);
    if (!topic) throw new ClusterChangeError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`);
    const assignment: TopicAssignment = { ...topic.assignment, configs: change.configs ?? topic.assignment.configs };
    const ops: Operation[] = [];
    const current = topic.assignment.replicas.length;
    if (change.partitions !== undefined && change.partitions > current) {
      const live = [...this.view.brokers.keys()].sort((a, b) => a - b);
      const factor = topic.assignment.replicas[0]?.length ?? 1;
      if (!change.replicas && factor > live.length) {
        throw new ClusterChangeError(ErrorCode.INVALID_REPLICATION_FACTOR, `the topic's replication factor ${factor} is larger than the ${live.length} available brokers`);
      }
      const added = change.replicas ?? this.assign(live, change.partitions - current, factor);
      assignment.replicas = [...topic.assignment.replicas, ...added];
      added.forEach((r, i) => ops.push({
        put: this.keys.partition(assignment.id, current + i),
        value: encodeRecord({ leader: r.find((b) => this.view.brokers.has(b)) ?? r[0], leaderEpoch: 0, isr: r, controllerEpoch: this.view.controllerEpoch }),
      }));
    }
    const key = this.keys.topic(name);
    const result = await this.store.transaction([{ key, target: 'mod', revision: topic.modRevision }], [...ops, { put: key, value: encodeRecord(assignment) }]);
    if (!result.succeeded) throw new ClusterChangeError(ErrorCode.CONCURRENT_TRANSACTIONS, `topic '${name}' changed while it was being changed; try again`);
    await this.waitForRevision(result.revision);
  }

  /**
   * ElectLeaders: a preferred election (the first replica leads again, if alive and in the ISR) or
   * an unclean one (for a partition without a live leader, any live replica), per partition. Each is
   * a compare-and-swap on the partition's state; one that races another change is decided again on
   * the newer state. Returns a Kafka error code per "topic/index".
   */
  async electLeaders(type: 'preferred' | 'unclean', partitions: { topic: string; index: number }[]): Promise<Map<string, number>> {
    const results = new Map<string, number>();
    for (const { topic, index } of partitions) {
      const name = `${topic}/${index}`;
      for (let attempt = 0; ; attempt++) {
        const view = this.view.topics.get(topic);
        const partition = view && this.view.partition(view.assignment.id, index);
        if (!view || !partition) {
          results.set(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          break;
        }
        const live = (id: number) => this.view.brokers.has(id);
        const replicas = view.assignment.replicas[index];
        const decision = type === 'preferred' ? electPreferred(replicas, partition.state, live) : electUnclean(replicas, partition.state, live);
        if (decision.outcome !== 'elect') {
          results.set(name, decision.outcome === 'not-needed' ? ErrorCode.ELECTION_NOT_NEEDED : type === 'preferred' ? ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE : ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE);
          break;
        }
        const key = this.keys.partition(view.assignment.id, index);
        const result = await this.store.transaction([{ key, target: 'mod', revision: partition.modRevision }], [{ put: key, value: encodeRecord({ ...decision.next, controllerEpoch: this.view.controllerEpoch }) }]);
        if (result.succeeded) {
          await this.waitForRevision(result.revision);
          results.set(name, ErrorCode.NONE);
          break;
        }
        if (attempt === 2) {
          results.set(name, ErrorCode.CONCURRENT_TRANSACTIONS);
          break;
        }
        // Another change won: read the newer state and decide again.
        const latest = await this.store.get(key);
        if (latest) await this.waitForRevision(latest.modRevision);
      }
    }
    return results;
  }

  /**
   * AlterPartitionReassignments for one topic: each partition gets `target` replicas (the partition
   * keeps its current ones too until the target ones are all in sync; the controller then finishes
   * it), or null to cancel one under way (back to the replicas it had). One compare-and-swap on the
   * topic. Returns a Kafka error code and message per partition index.
   */
  async reassign(name: string, changes: { index: number; target: number[] | null }[]): Promise<Map<number, { errorCode: number; message: string | null }>> {
    const results = new Map<number, { errorCode: number; message: string | null }>();
    const topic = this.view.topics.get(name);
    if (!topic) {
      for (const c of changes) results.set(c.index, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `topic '${name}' does not exist` });
      return results;
    }
    const replicas = topic.assignment.replicas.map((r) => [...r]);
    const reassigning = { ...(topic.assignment.reassigning ?? {}) };
    for (const { index, target } of changes) {
      const current = reassigning[String(index)];
      if (index < 0 || index >= replicas.length) {
        results.set(index, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `topic '${name}' has no partition ${index}` });
      } else if (target === null && !current) {
        results.set(index, { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: `${name}-${index} is not being reassigned` });
      } else if (target === null) {
        replicas[index] = current.original;
        delete reassigning[String(index)];
        results.set(index, { errorCode: ErrorCode.NONE, message: null });
      } else if (target.length === 0 || new Set(target).size !== target.length || target.some((b) => !this.view.brokers.has(b))) {
        results.set(index, { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `replicas [${target}] must be distinct live brokers` });
      } else {
        const original = current?.original ?? replicas[index];
        replicas[index] = [...target, ...original.filter((b) => !target.includes(b))];
        reassigning[String(index)] = { target, original };
        results.set(index, { errorCode: ErrorCode.NONE, message: null });
      }
    }
    const assignment: TopicAssignment = { ...topic.assignment, replicas, ...(Object.keys(reassigning).length > 0 ? { reassigning } : { reassigning: undefined }) };
    const key = this.keys.topic(name);
    const result = await this.store.transaction([{ key, target: 'mod', revision: topic.modRevision }], [{ put: key, value: encodeRecord(assignment) }]);
    if (!result.succeeded) {
      for (const [index, r] of results) if (r.errorCode === ErrorCode.NONE) results.set(index, { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS, message: `topic '${name}' changed meanwhile; try again` });
      return results;
    }
    await this.waitForRevision(result.revision);
    return results;
  }

  /** Kafka's assignment over `live` brokers: rack-aware when every broker names its rack (broker.rack). */
  private assign(live: number[], partitions: number, replicationFactor: number): number[][] {
    const random = (below: number) => randomInt(below);
    const racks = new Map(live.map((id) => [id, this.view.brokers.get(id)!.rack]));
    const withRack = [...racks.values()].filter((r) => r !== null).length;
    if (withRack === 0) return assignReplicas(live, partitions, replicationFactor, random);
    if (withRack < live.length) {
      throw new ClusterChangeError(ErrorCode.INVALID_REPLICATION_FACTOR, `brokers [${live.filter((id) => racks.get(id) === null)}] have no broker.rack while others do: set it on every broker or on none`);
    }
    return assignReplicasRackAware(racks as Map<number, string>, partitions, replicationFactor, random);
  }

  /** Deletes a topic and its partition states in one transaction, if it is still the topic we know. */
  async deleteTopic(name: string): Promise<void> {
    const topic = this.view.topics.get(name);
    if (!topic) throw new ClusterChangeError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`);
    const result = await this.store.transaction(
      [{ key: this.keys.topic(name), target: 'mod', revision: topic.modRevision }],
      [{ delete: this.keys.topic(name) }, { deletePrefix: this.keys.partitionsOf(topic.assignment.id) }],
    );
    if (!result.succeeded) throw new ClusterChangeError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' changed while it was being deleted; try again`);
    await this.waitForRevision(result.revision);
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
