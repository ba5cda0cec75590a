import { randomBytes, randomInt } from 'node:crypto';
import { ErrorCode } from '@millrace/protocol';
import { assignReplicas, assignReplicasRackAware } from './assignment.ts';
import type { ClusterView } from './cluster-view.ts';
import { electPreferred, electUnclean } from './elections.ts';
import type { ClusterKeys } from './keys.ts';
import type { MetaStore, Operation } from './meta-store.ts';
import { encodeRecord, type TopicAssignment } from './records.ts';

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
 * The topic changes any broker may make in the cluster's metadata (the admin APIs): create, change,
 * delete, reassign, elect. Each is a transaction that compares the revisions it read, so a change
 * made on stale metadata fails instead of undoing another; each resolves once this broker's view
 * has caught up with it.
 */
export class TopicAdmin {
  private readonly store: MetaStore;
  private readonly keys: ClusterKeys;
  private readonly view: ClusterView;
  private readonly waitForRevision: (revision: bigint) => Promise<void>;

  constructor(store: MetaStore, keys: ClusterKeys, view: ClusterView, waitForRevision: (revision: bigint) => Promise<void>) {
    this.store = store;
    this.keys = keys;
    this.view = view;
    this.waitForRevision = waitForRevision;
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

}
