import type { ClusterView } from './cluster-view.ts';
import { electLeader, electPreferred } from './elections.ts';
import type { ClusterKeys } from './keys.ts';
import type { Compare, MetaStore, Operation } from './meta-store.ts';
import { encodeRecord } from './records.ts';

export interface ControllerOptions {
  store: MetaStore;
  keys: ClusterKeys;
  view: ClusterView;
  nodeId: number;
  /** The lease the controller key lives under: the broker's own, so it goes when the broker does. */
  lease: () => string;
  uncleanElectionAllowed(topic: string): boolean;
  /** Kafka's auto leader rebalance (auto.leader.rebalance.enable), or null for none. */
  rebalance: { intervalMs: number; imbalancePercentage: number } | null;
  log: { info(m: string): void; warn(m: string): void; error(m: string): void };
}

/** etcd refuses a transaction with more operations than this (its --max-txn-ops default). */
const MAX_TXN_OPS = 128;

/**
 * Campaigns for the controller role and, once won, keeps every partition led by a live ISR
 * member. Every write is a transaction that also compares the controller-epoch key's mod revision
 * with the one this controller won at: after another broker has won, each write fails, and this
 * one resigns (Kafka's controller-epoch check, KAFKA-6082). Brokers learn the results by watching.
 */
export class Controller {
  private readonly options: ControllerOptions;
  /** The mod revision of the controller-epoch key when we won; 0n while not controller. */
  private epochRevision = 0n;
  private epoch = 0;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private rebalanceDue = false;
  private readonly rebalanceTimer: NodeJS.Timeout | null;

  constructor(options: ControllerOptions) {
    this.options = options;
    const rebalance = options.rebalance;
    this.rebalanceTimer = rebalance && setInterval(() => {
      this.rebalanceDue = true;
      this.poke();
    }, rebalance.intervalMs).unref();
  }

  get active(): boolean {
    return this.epochRevision !== 0n;
  }

  /** Called after every batch of watch events: campaign if nobody leads, or re-check partitions if we do. */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  stop(): void {
    this.stopped = true;
    this.epochRevision = 0n;
    if (this.rebalanceTimer) clearInterval(this.rebalanceTimer);
  }

  private async run(): Promise<void> {
    const { view, nodeId, log } = this.options;
    try {
      if (this.active && (view.controllerId !== nodeId || view.controllerEpochRevision !== this.epochRevision) && view.revision >= this.epochRevision) {
        this.resign(`the watch shows controller ${view.controllerId} at epoch ${view.controllerEpoch}`);
      }
      if (!this.active && view.controllerId === -1) await this.campaign();
      if (this.active) await this.completeReassignments();
      if (this.active) await this.electLeaders();
      if (this.active && this.rebalanceDue) {
        this.rebalanceDue = false;
        await this.rebalanceLeaders();
      }
    } catch (err) {
      log.warn(`controller pass failed: ${(err as Error).message}`);
    }
  }

  private async campaign(): Promise<void> {
    const { store, keys, nodeId, lease, log } = this.options;
    const current = await store.get(keys.controllerEpoch);
    const epoch = current ? Number(current.value.toString('utf8')) : 0;
    const result = await store.transaction(
      [{ key: keys.controller, target: 'create', revision: 0n }, { key: keys.controllerEpoch, target: 'mod', revision: current?.modRevision ?? 0n }],
      [{ put: keys.controller, value: Buffer.from(JSON.stringify({ nodeId })), lease: lease() }, { put: keys.controllerEpoch, value: Buffer.from(String(epoch + 1)) }],
    );
    if (!result.succeeded) return;
    this.epochRevision = result.revision;
    this.epoch = epoch + 1;
    log.info(`this broker is the controller (controller epoch ${this.epoch})`);
  }

  private resign(why: string): void {
    this.options.log.warn(`no longer the controller: ${why}`);
    this.epochRevision = 0n;
  }

  /** One pass over every partition: elect where the leader is gone, drop dead brokers from ISRs. */
  private async electLeaders(): Promise<void> {
    const { view, keys } = this.options;
    const writes: { compare: Compare; op: Operation }[] = [];
    for (const partition of view.partitions.values()) {
      const topic = view.topicsById.get(partition.topicId);
      if (!topic) continue;
      const replicas = topic.assignment.replicas[partition.index] ?? [];
      // A broker that is no longer a replica (a finished or cancelled reassignment) counts as gone.
      const live = (id: number) => view.brokers.has(id) && replicas.includes(id);
      const next = electLeader(replicas, partition.state, live, this.options.uncleanElectionAllowed(topic.name));
      if (!next) continue;
      const key = keys.partition(partition.topicId, partition.index);
      writes.push({ compare: { key, target: 'mod', revision: partition.modRevision }, op: { put: key, value: encodeRecord({ ...next, controllerEpoch: this.epoch }) } });
    }
    // One transaction per group of partitions, each with the controller-epoch compare besides theirs.
    const perTxn = MAX_TXN_OPS - 1;
    for (let i = 0; i < writes.length && this.active; i += perTxn) {
      const group = writes.slice(i, i + perTxn);
      await this.write(group.map((w) => w.compare), group.map((w) => w.op));
    }
  }

  /**
   * Finishes reassignments whose target replicas are all in the ISR: the topic's replicas become the
   * target. The next election pass then moves the leadership off a removed replica and drops removed
   * replicas from the ISR.
   */
  private async completeReassignments(): Promise<void> {
    const { view, keys } = this.options;
    for (const topic of view.topics.values()) {
      const reassigning = topic.assignment.reassigning;
      if (!reassigning) continue;
      const done = Object.entries(reassigning).filter(([index, r]) => {
        const state = view.partition(topic.assignment.id, Number(index))?.state;
        return state !== undefined && r.target.every((b) => state.isr.includes(b));
      });
      if (done.length === 0) continue;
      const replicas = topic.assignment.replicas.map((r, i) => (done.some(([index]) => Number(index) === i) ? reassigning[String(i)].target : r));
      const rest = Object.fromEntries(Object.entries(reassigning).filter(([index]) => !done.some(([d]) => d === index)));
      const next = { ...topic.assignment, replicas, ...(Object.keys(rest).length > 0 ? { reassigning: rest } : { reassigning: undefined }) };
      const key = keys.topic(topic.name);
      this.options.log.info(`reassignment of ${done.map(([i]) => `${topic.name}-${i}`).join(', ')} complete`);
      await this.write([{ key, target: 'mod', revision: topic.modRevision }], [{ put: key, value: encodeRecord(next) }]);
    }
  }

  /**
   * Auto leader rebalance: a broker that is the preferred leader (first replica) of more partitions
   * than it leads, by over leader.imbalance.per.broker.percentage, gets them back where it is alive
   * and in the ISR (a preferred election: nothing can be lost).
   */
  private async rebalanceLeaders(): Promise<void> {
    const { view, keys } = this.options;
    const live = (id: number) => view.brokers.has(id);
    const byPreferred = new Map<number, { preferred: number; moves: { compare: Compare; op: Operation }[] }>();
    for (const partition of view.partitions.values()) {
      const topic = view.topicsById.get(partition.topicId);
      const replicas = topic?.assignment.replicas[partition.index];
      if (!replicas || replicas.length === 0) continue;
      const entry = byPreferred.get(replicas[0]) ?? { preferred: 0, moves: [] };
      byPreferred.set(replicas[0], entry);
      entry.preferred++;
      const decision = electPreferred(replicas, partition.state, live);
      if (decision.outcome !== 'elect') continue;
      const key = keys.partition(partition.topicId, partition.index);
      entry.moves.push({ compare: { key, target: 'mod', revision: partition.modRevision }, op: { put: key, value: encodeRecord({ ...decision.next, controllerEpoch: this.epoch }) } });
    }
    for (const [broker, { preferred, moves }] of byPreferred) {
      if (moves.length === 0 || (moves.length * 100) / preferred <= this.options.rebalance!.imbalancePercentage) continue;
      this.options.log.info(`rebalancing leaders: broker ${broker} is the preferred leader of ${moves.length} partition(s) it does not lead`);
      for (let i = 0; i < moves.length && this.active; i += MAX_TXN_OPS - 1) {
        const group = moves.slice(i, i + MAX_TXN_OPS - 1);
        await this.write(group.map((m) => m.compare), group.map((m) => m.op));
      }
    }
  }

  /** A fenced write; when it does not apply because another controller won, this one resigns. */
  private async write(compares: Compare[], ops: Operation[]): Promise<void> {
    const { store, keys } = this.options;
    const result = await store.transaction([{ key: keys.controllerEpoch, target: 'mod', revision: this.epochRevision }, ...compares], ops);
    if (result.succeeded) return;
    const epochKey = await store.get(keys.controllerEpoch);
    if (epochKey?.modRevision !== this.epochRevision) this.resign(`controller epoch is now ${epochKey?.value.toString('utf8')}`);
    // Otherwise a partition changed under us: the watch brings the change, and the next pass redoes it.
  }
}
