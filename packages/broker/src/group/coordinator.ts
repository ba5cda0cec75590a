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

/** The group coordinator of a single broker: every group, and their committed offsets. */
export class GroupCoordinator {
  readonly groups = new Map<string, Group>();
  readonly offsets: OffsetStore;
  readonly settings: CoordinatorSettings;
  private readonly timers: Timers;

  private expiryTimer: unknown = null;
  private readonly onStoreError: (err: Error) => void;

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
