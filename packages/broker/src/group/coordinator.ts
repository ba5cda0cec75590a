import { Group } from './group.ts';
import type { OffsetStore } from './offset-store.ts';
import type { Timers } from './timers.ts';

export interface CoordinatorSettings {
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

  constructor(offsets: OffsetStore, settings: CoordinatorSettings, timers: Timers) {
    this.offsets = offsets;
    this.settings = settings;
    this.timers = timers;
  }

  group(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  /** Every group the coordinator knows: those with members or a state, and those that only have committed offsets. */
  groupIds(): string[] {
    return [...new Set([...this.groups.keys(), ...this.offsets.groupIds()])].sort();
  }

  /** Forgets a group with no members (DeleteGroups); its offsets are deleted by the caller. */
  forget(groupId: string): void {
    this.groups.delete(groupId);
  }

  groupOrCreate(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (!group) {
      group = new Group(groupId, this.timers, { initialRebalanceDelayMs: this.settings.initialRebalanceDelayMs });
      this.groups.set(groupId, group);
    }
    return group;
  }
}
