import { ErrorCode } from '@millrace/protocol';
import type { Partition } from '../partition.ts';
import { Group } from './group.ts';
import type { OffsetStore } from './offset-store.ts';
import type { Timers } from './timers.ts';

export interface CoordinatorSettings {
  /** offsets.retention.minutes, in ms: how long a group's offsets outlive its last member. */
  offsetsRetentionMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  initialRebalanceDelayMs: number;
  maxMetadataBytes: number;
}

/**
 * The group coordinator: groups and their committed offsets. A single broker coordinates every
 * group; a broker of a cluster those whose `__consumer_offsets` partition it leads, loaded from its
 * log when it becomes the leader and dropped when it stops being it.
 */
export class GroupCoordinator {
  readonly groups = new Map<string, Group>();
  readonly offsets: OffsetStore;
  readonly settings: CoordinatorSettings;
  private readonly timers: Timers;

  private expiryTimer: unknown = null;
  private readonly onStoreError: (err: Error) => void;
  /** In a cluster, the partitions whose groups are here; null on a single broker (every one). */
  private owned: Set<number> | null = null;
  private readonly loading = new Set<number>();

  constructor(offsets: OffsetStore, settings: CoordinatorSettings, timers: Timers, onStoreError: (err: Error) => void = () => {}) {
    this.offsets = offsets;
    this.settings = settings;
    this.timers = timers;
    this.onStoreError = onStoreError;
    for (const [groupId, snapshot] of offsets.storedGroups()) this.groupOrCreate(groupId).restore(snapshot);
  }

  /**
   * Kafka's offset retention (2.1+): a group's offsets are deleted once it has had no members for
   * offsets.retention.minutes, counted from when it became empty, or from its last commit if it
   * never had members here.
   */
  async expireOffsets(): Promise<string[]> {
    const now = this.timers.now();
    const expired: string[] = [];
    for (const groupId of this.offsets.groupIds()) {
      const group = this.groups.get(groupId);
      if (group && group.members.size > 0) continue;
      const since = group?.emptySince ?? Math.max(...this.offsets.committed(groupId).map((c) => c.offset.commitTimestamp));
      if (now - since < this.settings.offsetsRetentionMs) continue;
      await this.offsets.delete(groupId, this.offsets.committed(groupId), now);
      await this.forget(groupId);
      expired.push(groupId);
    }
    return expired;
  }

  /** Runs expireOffsets every `intervalMs` (offsets.retention.check.interval.ms) until stop(). */
  startExpiry(intervalMs: number, onError: (err: Error) => void): void {
    const tick = () => {
      this.expiryTimer = this.timers.set(() => {
        this.expireOffsets().then(tick, (err: Error) => {
          onError(err);
          tick();
        });
      }, intervalMs);
    };
    tick();
  }

  stop(): void {
    this.timers.clear(this.expiryTimer);
  }

  /** Why this broker may not act for a group now (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS), or NONE. */
  errorFor(groupId: string): number {
    if (this.owned === null) return ErrorCode.NONE;
    const index = this.offsets.indexOf(groupId);
    if (this.loading.has(index)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    return this.owned.has(index) ? ErrorCode.NONE : ErrorCode.NOT_COORDINATOR;
  }

  /** Cluster mode: nothing is coordinated here until this broker leads a partition of `__consumer_offsets`. */
  enterCluster(): void {
    for (const group of this.groups.values()) group.shutdown(ErrorCode.NOT_COORDINATOR);
    this.groups.clear();
    this.owned = new Set();
  }

  /** This broker now leads `partition` of `__consumer_offsets`: its groups and commits are read and served here. */
  async becomeCoordinator(partition: Partition): Promise<void> {
    if (!this.owned || this.owned.has(partition.index) || this.loading.has(partition.index)) return;
    this.loading.add(partition.index);
    try {
      await this.offsets.loadPartition(partition);
      // Leadership moved on while the log was read: what was read is not ours to serve.
      if (partition.role !== 'leader') {
        this.offsets.unloadPartition(partition.index);
        return;
      }
      for (const [groupId, snapshot] of this.offsets.storedGroups()) {
        if (this.offsets.indexOf(groupId) === partition.index && !this.groups.has(groupId)) this.groupOrCreate(groupId).restore(snapshot);
      }
      this.owned.add(partition.index);
    } finally {
      this.loading.delete(partition.index);
    }
  }

  /** This broker no longer leads partition `index`: its groups go, and their members look for the new coordinator. */
  resign(index: number): void {
    if (!this.owned) return;
    this.owned.delete(index);
    for (const [groupId, group] of this.groups) {
      if (this.offsets.indexOf(groupId) !== index) continue;
      group.shutdown(ErrorCode.NOT_COORDINATOR);
      this.groups.delete(groupId);
    }
    this.offsets.unloadPartition(index);
  }

  group(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  /** Every group the coordinator knows: those with members or a state, and those that only have committed offsets. */
  groupIds(): string[] {
    return [...new Set([...this.groups.keys(), ...this.offsets.groupIds()])].sort();
  }


  /** Forgets a group with no members (DeleteGroups, retention), durably; its offsets are deleted by the caller. */
  async forget(groupId: string): Promise<void> {
    this.groups.delete(groupId);
    await this.offsets.storeGroup(groupId, null, this.timers.now());
  }

  groupOrCreate(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (!group) {
      group = new Group(groupId, this.timers, {
        initialRebalanceDelayMs: this.settings.initialRebalanceDelayMs,
        // Membership is stored so that a restarted broker knows its groups; a failed write is logged, and
        // the group goes on (offsets, which matter for data, are acknowledged only once durable).
        onSettled: (g) => void this.offsets.storeGroup(groupId, g.snapshot(), this.timers.now()).catch(this.onStoreError),
      });
      this.groups.set(groupId, group);
    }
    return group;
  }
}
