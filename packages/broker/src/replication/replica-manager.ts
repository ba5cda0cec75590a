import { type ClusterNode, LeaderState, NO_LEADER, type PartitionView, ReplicaFetcher, type TopicView, type ViewChanges } from '@millrace/cluster';
import type { BrokerState } from '../handler.ts';
import type { Partition } from '../partition.ts';
import { OFFSETS_TOPIC } from '../group/offset-store.ts';
import { TXN_TOPIC } from '../txn/txn-coordinator.ts';
import { followerLog } from './follower-log.ts';

export interface ReplicationSettings {
  replicaLagTimeMaxMs: number;
  fetchWaitMaxMs: number;
  fetchMaxBytes: number;
}

/**
 * Applies the cluster's metadata to this broker's partitions, in the order the watch delivers it:
 * opens the logs of topics it learns of, and for each partition becomes its leader (new leader
 * epoch recorded before anything is appended in it), a follower fetching from the leader, or
 * neither. As leader it keeps the high watermark and proposes ISR changes to etcd.
 */
export class ReplicaManager {
  private readonly state: BrokerState;
  private node!: ClusterNode;
  private readonly settings: ReplicationSettings;
  private readonly fetchers = new Map<string, ReplicaFetcher>();
  /** The fetcher each followed partition is in. */
  private readonly following = new Map<Partition, ReplicaFetcher>();
  private applying: Promise<void> = Promise.resolve();
  private shrinkTimer: NodeJS.Timeout | null = null;

  constructor(state: BrokerState, settings: ReplicationSettings) {
    this.state = state;
    this.settings = settings;
  }

  attach(node: ClusterNode): void {
    this.node = node;
    this.shrinkTimer = setInterval(() => this.shrinkIsrs(), Math.max(100, this.settings.replicaLagTimeMaxMs / 2));
  }

  /** Queues a batch of metadata changes; batches apply one at a time, in order. */
  onChanges(changes: ViewChanges): void {
    this.applying = this.applying.then(() => this.apply(changes)).catch((err: Error) => this.state.log.error(`applying cluster metadata failed: ${err.message}`));
  }

  /** Resolves once every change queued so far has been applied. */
  settled(): Promise<void> {
    return this.applying;
  }

  private async apply(changes: ViewChanges): Promise<void> {
    const topics = this.state.topics;
    for (const t of changes.topicsDeleted) {
      const local = topics.get(t.name);
      if (local && local.record.id === t.assignment.id) {
        for (const p of local.partitions) await this.stopFollowing(p);
        await topics.deleteTopic(t.name);
      }
    }
    for (const t of changes.topicsChanged) await this.ensureTopic(t);
    const view = this.node.view;
    // A broker coming or going can change where followers fetch from: every partition is looked at again.
    const all = changes.brokersUp.length > 0 || changes.brokersDown.length > 0 || changes.topicsChanged.length > 0;
    const partitions = all ? [...view.partitions.values()] : changes.partitionsChanged;
    for (const p of partitions) {
      // One partition whose log fails (offline, say) must not keep the others from their new roles.
      await this.applyPartition(view.partition(p.topicId, p.index) ?? p).catch((err: Error) => {
        this.state.log.error(`taking up the role the metadata gives ${view.topicsById.get(p.topicId)?.name ?? p.topicId}-${p.index} failed: ${err.message}`);
      });
    }
  }

  private async ensureTopic(t: TopicView): Promise<void> {
    const topics = this.state.topics;
    const local = topics.get(t.name);
    if (local && local.record.id !== t.assignment.id) {
      for (const p of local.partitions) await this.stopFollowing(p);
      await topics.deleteTopic(t.name);
    }
    const count = t.assignment.replicas.length;
    const current = topics.get(t.name);
    if (!current) {
      const created = await topics.createTopic(t.name, count, t.assignment.configs, t.assignment.id);
      for (const p of created.partitions) this.resetRole(p);
      return;
    }
    if (current.partitions.length < count) {
      const before = current.partitions.length;
      await topics.addPartitions(t.name, count);
      for (const p of current.partitions.slice(before)) this.resetRole(p);
    }
    if (JSON.stringify(current.record.configs) !== JSON.stringify(t.assignment.configs)) await topics.setTopicConfigs(t.name, t.assignment.configs);
  }

  /** A partition the metadata has not placed yet: no role, and nothing visible to consumers until the leader says so. */
  resetRole(p: Partition): void {
    p.role = 'none';
    p.leaderEpoch = -1;
    p.replication = null;
    p.log.setReplicationHighWatermark(p.log.logStartOffset);
  }

  private async applyPartition(view: PartitionView): Promise<void> {
    const topic = this.node.view.topicsById.get(view.topicId);
    const local = topic && this.state.topics.getById(view.topicId)?.partitions[view.index];
    if (!topic || !local) return;
    const me = this.node.nodeId;
    const { leader, leaderEpoch, isr } = view.state;
    if (leaderEpoch < local.leaderEpoch) return;
    const replicas = topic.assignment.replicas[view.index] ?? [];
    if (leader === me) {
      if (local.role === 'leader' && local.leaderEpoch === leaderEpoch) {
        local.replication!.isr = isr;
        local.replication!.updateReplicas(replicas, Date.now());
        this.advanceHighWatermark(local);
        return;
      }
      this.logStepDown(local);
      await this.stopFollowing(local);
      await local.log.assignLeaderEpoch(leaderEpoch);
      local.leaderEpoch = leaderEpoch;
      local.role = 'leader';
      local.replication = new LeaderState(me, leaderEpoch, local.log.logEndOffset, replicas, isr, Date.now());
      this.state.log.info(`leading ${local.topic}-${local.index} in epoch ${leaderEpoch} from offset ${local.log.logEndOffset} (ISR [${isr}], high watermark ${local.log.highWatermark})`);
      this.advanceHighWatermark(local);
      local.notifyNewData();
      this.coordinate(local);
      return;
    }
    const fetcher = replicas.includes(me) && leader !== NO_LEADER ? this.fetcherFor(leader) : null;
    if (local.role === 'follower' && local.leaderEpoch === leaderEpoch && this.following.get(local) === fetcher && fetcher) return;
    this.logStepDown(local);
    await this.stopFollowing(local);
    local.leaderEpoch = leaderEpoch;
    local.role = replicas.includes(me) ? 'follower' : 'none';
    local.replication = null;
    if (fetcher) {
      fetcher.add({ topic: local.topic, index: local.index, leaderEpoch, log: followerLog(local.log, () => local.notifyNewData()) });
      this.following.set(local, fetcher);
      this.state.log.info(`following ${local.topic}-${local.index} from broker ${leader} in epoch ${leaderEpoch} at offset ${local.log.logEndOffset}`);
    }
    // Produce requests waiting for acknowledgements in the old role find out they lost it.
    local.notifyNewData();
    this.coordinate(local);
  }

  /** A leader giving its epoch up says how far it got: its log end, its high watermark and where each follower last fetched from. */
  private logStepDown(p: Partition): void {
    const r = p.replication;
    if (p.role !== 'leader' || !r) return;
    const followers = r.replicas.filter((b) => b !== r.leaderId).map((b) => `${b}@${r.followerEndOffset(b) ?? '?'}`).join(', ');
    this.state.log.info(`stopped leading ${p.topic}-${p.index} in epoch ${r.epoch} at offset ${p.log.logEndOffset} (ISR [${r.isr}], high watermark ${p.log.highWatermark}, followers ${followers})`);
  }

  /** The groups of a `__consumer_offsets` partition, and the transactional ids of a `__transaction_state` one, are coordinated by its leader. */
  private coordinate(p: Partition): void {
    if (p.topic === OFFSETS_TOPIC) {
      if (p.role !== 'leader') this.state.groups.resign(p.index);
      else this.state.groups.becomeCoordinator(p).catch((err: Error) => this.state.log.error(`loading the groups of ${p.topic}-${p.index} failed: ${err.message}`));
    } else if (p.topic === TXN_TOPIC) {
      if (p.role !== 'leader') this.state.transactions.resign(p.index);
      else this.state.transactions.becomeCoordinator(p).catch((err: Error) => this.state.log.error(`loading the transactions of ${p.topic}-${p.index} failed: ${err.message}`));
    }
  }

  private fetcherFor(leaderId: number): ReplicaFetcher | null {
    const broker = this.node.view.brokers.get(leaderId);
    if (!broker) return null;
    const key = `${leaderId}@${broker.host}:${broker.port}`;
    let fetcher = this.fetchers.get(key);
    if (!fetcher) {
      fetcher = new ReplicaFetcher({
        replicaId: this.node.nodeId,
        leaderId,
        host: broker.host,
        port: broker.port,
        maxWaitMs: this.settings.fetchWaitMaxMs,
        maxBytes: this.settings.fetchMaxBytes,
        security: this.state.interBroker,
        log: this.state.log,
      });
      this.fetchers.set(key, fetcher);
    }
    return fetcher;
  }

  /** Resolves once the fetcher has let go of the partition's log (see ReplicaFetcher.remove). */
  private async stopFollowing(p: Partition): Promise<void> {
    const fetcher = this.following.get(p);
    if (!fetcher) return;
    this.following.delete(p);
    await fetcher.remove(p.topic, p.index);
  }

  /** A follower's fetch of a partition this broker leads: records where the follower is and moves the high watermark. */
  onFollowerFetch(p: Partition, replicaId: number, fetchOffset: number): void {
    const r = p.replication;
    if (!r) return;
    r.recordFetch(replicaId, fetchOffset, p.log.durableEndOffset, Date.now());
    this.advanceHighWatermark(p);
  }

  /** Moves the high watermark as far as the ISR allows, and proposes adding a follower that caught up. */
  advanceHighWatermark(p: Partition): void {
    const r = p.replication;
    if (!r) return;
    const before = p.log.highWatermark;
    const hw = r.highWatermark(p.log.durableEndOffset, this.minInsyncReplicas(p));
    if (hw !== null) p.log.setReplicationHighWatermark(hw);
    if (p.log.highWatermark > before) p.notifyNewData();
    const add = r.replicaToAdd(p.log.highWatermark);
    if (add !== null) void this.proposeIsr(p, [...r.isr, add]);
  }

  minInsyncReplicas(p: Partition): number {
    const topic = this.state.topics.get(p.topic);
    return topic ? Number(this.state.topics.topicConfig(topic.record, 'min.insync.replicas')) : 1;
  }

  private shrinkIsrs(): void {
    const now = Date.now();
    for (const topic of this.state.topics.list()) {
      for (const p of topic.partitions) {
        const r = p.replication;
        if (!r) continue;
        const out = r.replicasToRemove(p.log.durableEndOffset, now, this.settings.replicaLagTimeMaxMs);
        if (out.length > 0) void this.proposeIsr(p, r.isr.filter((b) => !out.includes(b)));
      }
    }
  }

  private async proposeIsr(p: Partition, isr: number[]): Promise<void> {
    const r = p.replication!;
    const topic = this.state.topics.get(p.topic);
    const view = topic && this.node.view.partition(topic.record.id, p.index);
    if (!view || view.state.leader !== this.node.nodeId || view.state.leaderEpoch !== r.epoch || r.pendingIsr) return;
    r.pendingIsr = isr;
    try {
      const applied = await this.node.alterIsr(view, isr);
      if (applied) this.state.log.info(`${p.topic}-${p.index}: ISR [${view.state.isr}] -> [${isr}]`);
    } catch (err) {
      this.state.log.warn(`${p.topic}-${p.index}: changing the ISR to [${isr}] failed: ${(err as Error).message}`);
    } finally {
      if (r.pendingIsr === isr) r.pendingIsr = null;
    }
  }

  stop(): void {
    if (this.shrinkTimer) clearInterval(this.shrinkTimer);
    for (const fetcher of this.fetchers.values()) fetcher.stop();
    this.fetchers.clear();
    this.following.clear();
  }
}
