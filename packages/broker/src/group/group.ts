import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@millrace/protocol';
import type { GroupSnapshot } from './group-records.ts';
import { EMPTY_BYTES, type JoinParams, type JoinResult, type Member, selectProtocol, type SyncResult } from './members.ts';
import type { Timers } from './timers.ts';

export const GroupState = {
  EMPTY: 'Empty',
  PREPARING_REBALANCE: 'PreparingRebalance',
  COMPLETING_REBALANCE: 'CompletingRebalance',
  STABLE: 'Stable',
  DEAD: 'Dead',
} as const;
export type GroupStateName = (typeof GroupState)[keyof typeof GroupState];

export interface GroupSettings {
  /** group.initial.rebalance.delay.ms: how long a group that was empty waits for more members. */
  initialRebalanceDelayMs: number;
  /** Called when the group becomes Stable or Empty: the moments its metadata is stored. */
  onSettled?: (group: Group) => void;
}

function joinError(errorCode: number, memberId = ''): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
}

function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

/**
 * One consumer group of the classic protocol, as a state machine (Empty, PreparingRebalance,
 * CompletingRebalance, Stable, Dead). Every method runs to completion on the event loop; answers
 * that must wait for other members (JoinGroup during a rebalance, SyncGroup before the leader's
 * assignment) are callbacks the group calls when the rebalance moves on.
 */
export class Group {
  readonly groupId: string;
  state: GroupStateName = GroupState.EMPTY;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** When the group last became Empty (offsets expire offsets.retention.minutes after it); null while it has members. */
  emptySince: number | null = null;
  /** Member ids handed out with MEMBER_ID_REQUIRED that have not joined with them yet. */
  private readonly pending = new Map<string, unknown>();
  private readonly staticMembers = new Map<string, string>();
  private readonly timers: Timers;
  private readonly settings: GroupSettings;
  private rebalanceTimer: unknown = null;
  /** True while a group that was empty waits group.initial.rebalance.delay.ms before completing its first join. */
  private delayingInitialJoin = false;

  constructor(groupId: string, timers: Timers, settings: GroupSettings) {
    this.groupId = groupId;
    this.timers = timers;
    this.settings = settings;
  }

  join(params: JoinParams, respond: (result: JoinResult) => void): void {
    if (this.state === GroupState.DEAD) return respond(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, params.memberId));
    if (!this.supports(params.protocolType, params.protocols)) return respond(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, params.memberId));
    if (params.memberId === '') return this.joinNewMember(params, respond);
    if (this.pending.has(params.memberId)) {
      this.timers.clear(this.pending.get(params.memberId));
      this.pending.delete(params.memberId);
      return this.addMemberAndRebalance(params, params.memberId, respond);
    }
    const member = this.members.get(params.memberId);
    if (!member) return respond(joinError(this.fencedOrUnknown(params.groupInstanceId, params.memberId), params.memberId));
    if (params.groupInstanceId !== member.groupInstanceId) return respond(joinError(ErrorCode.FENCED_INSTANCE_ID, params.memberId));
    this.rejoin(member, params, respond);
  }

  private joinNewMember(params: JoinParams, respond: (result: JoinResult) => void): void {
    const memberId = `${params.clientId || 'member'}-${randomUUID()}`;
    const instance = params.groupInstanceId;
    const previous = instance === null ? undefined : this.staticMembers.get(instance);
    if (previous !== undefined) {
      // A static member restarted: it takes over its old identity; the old member id is fenced.
      const old = this.members.get(previous)!;
      this.members.delete(previous);
      this.timers.clear(old.sessionTimer);
      old.awaitingJoin?.(joinError(ErrorCode.FENCED_INSTANCE_ID, previous));
      old.awaitingSync?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
      const member = this.newMember(params, memberId);
      member.assignment = old.assignment;
      this.members.set(memberId, member);
      this.staticMembers.set(instance!, memberId);
      if (this.leaderId === previous) this.leaderId = memberId;
      if (this.state === GroupState.STABLE && params.protocols.some((p) => p.name === this.protocolName)) {
        // Still speaks the group's protocol: no rebalance. It gets its old assignment back in SyncGroup; a
        // restarted leader also gets the member list, and whatever it assigns in a Stable group is ignored.
        this.resetSession(member);
        return respond(this.joinResultFor(member, memberId === this.leaderId));
      }
      return this.rejoin(member, params, respond);
    }
    if (params.requireKnownMemberId && instance === null) {
      this.pending.set(memberId, this.timers.set(() => this.pending.delete(memberId), params.sessionTimeoutMs));
      return respond(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId));
    }
    this.addMemberAndRebalance(params, memberId, respond);
  }

  private rejoin(member: Member, params: JoinParams, respond: (result: JoinResult) => void): void {
    const changed = !sameProtocols(member, params);
    member.protocols = params.protocols;
    member.sessionTimeoutMs = params.sessionTimeoutMs;
    member.rebalanceTimeoutMs = params.rebalanceTimeoutMs;
    if (this.state === GroupState.PREPARING_REBALANCE) {
      this.awaitJoin(member, respond);
      return this.maybeCompleteJoin();
    }
    if (!changed && this.state === GroupState.COMPLETING_REBALANCE) {
      // The member lost our JoinGroup answer: give it again.
      return respond(this.joinResultFor(member, member.memberId === this.leaderId));
    }
    if (!changed && this.state === GroupState.STABLE && member.memberId !== this.leaderId) {
      this.resetSession(member);
      return respond(this.joinResultFor(member, false));
    }
    this.awaitJoin(member, respond);
    this.prepareRebalance();
  }

  private addMemberAndRebalance(params: JoinParams, memberId: string, respond: (result: JoinResult) => void): void {
    if (this.members.size === 0) this.protocolType = params.protocolType;
    this.emptySince = null;
    const member = this.newMember(params, memberId);
    this.members.set(memberId, member);
    if (params.groupInstanceId !== null) this.staticMembers.set(params.groupInstanceId, memberId);
    this.awaitJoin(member, respond);
    if (this.state === GroupState.PREPARING_REBALANCE) this.maybeCompleteJoin();
    else this.prepareRebalance();
  }

  private newMember(params: JoinParams, memberId: string): Member {
    return {
      memberId,
      groupInstanceId: params.groupInstanceId,
      clientId: params.clientId,
      clientHost: params.clientHost,
      sessionTimeoutMs: params.sessionTimeoutMs,
      rebalanceTimeoutMs: params.rebalanceTimeoutMs,
      protocols: params.protocols,
      assignment: EMPTY_BYTES,
      awaitingJoin: null,
      awaitingSync: null,
      sessionTimer: null,
    };
  }

  private awaitJoin(member: Member, respond: (result: JoinResult) => void): void {
    // While it waits on us, the member cannot heartbeat: its session timer stops until the join completes.
    this.timers.clear(member.sessionTimer);
    member.awaitingJoin = respond;
  }

  private prepareRebalance(): void {
    if (this.state === GroupState.COMPLETING_REBALANCE) {
      for (const m of this.members.values()) {
        m.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        m.awaitingSync = null;
      }
    }
    const wasEmpty = this.state === GroupState.EMPTY;
    this.state = GroupState.PREPARING_REBALANCE;
    if (this.members.size === 0) return this.completeJoin();
    this.timers.clear(this.rebalanceTimer);
    const rebalanceTimeout = Math.max(...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    // A group that was empty waits a little for the rest of its members to arrive, so they are assigned together.
    const wait = wasEmpty ? Math.min(this.settings.initialRebalanceDelayMs, rebalanceTimeout) : rebalanceTimeout;
    this.rebalanceTimer = this.timers.set(() => this.completeJoin(), wait);
    this.delayingInitialJoin = wasEmpty && wait > 0;
    this.maybeCompleteJoin();
  }

  /** Completes the join phase once every known member has rejoined (the timer completes it otherwise). */
  private maybeCompleteJoin(): void {
    if (this.state !== GroupState.PREPARING_REBALANCE || this.delayingInitialJoin) return;
    if ([...this.members.values()].every((m) => m.awaitingJoin !== null) && this.pending.size === 0) {
      this.timers.clear(this.rebalanceTimer);
      this.completeJoin();
    }
  }

  private completeJoin(): void {
    this.rebalanceTimer = null;
    this.delayingInitialJoin = false;
    for (const m of [...this.members.values()]) {
      if (m.awaitingJoin === null) this.removeMember(m);
    }
    this.generationId++;
    if (this.members.size === 0) {
      this.state = GroupState.EMPTY;
      this.emptySince = this.timers.now();
      this.protocolName = null;
      this.leaderId = null;
      this.settings.onSettled?.(this);
      return;
    }
    const members = [...this.members.values()];
    this.protocolName = selectProtocol(members);
    if (this.leaderId === null || !this.members.has(this.leaderId)) this.leaderId = members[0].memberId;
    this.state = GroupState.COMPLETING_REBALANCE;
    for (const m of members) {
      const respond = m.awaitingJoin!;
      m.awaitingJoin = null;
      m.assignment = EMPTY_BYTES;
      this.resetSession(m);
      respond(this.joinResultFor(m, m.memberId === this.leaderId));
    }
  }

  private joinResultFor(member: Member, withMembers: boolean): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leaderId ?? '',
      memberId: member.memberId,
      members: withMembers
        ? [...this.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: m.protocols.find((p) => p.name === this.protocolName)?.metadata ?? EMPTY_BYTES,
          }))
        : [],
    };
  }

  sync(memberId: string, groupInstanceId: string | null, generationId: number, assignments: { memberId: string; assignment: Buffer }[], respond: (result: SyncResult) => void): void {
    const member = this.members.get(memberId);
    if (!member) return respond(syncError(this.fencedOrUnknown(groupInstanceId, memberId)));
    if (groupInstanceId !== member.groupInstanceId) return respond(syncError(ErrorCode.FENCED_INSTANCE_ID));
    if (generationId !== this.generationId) return respond(syncError(ErrorCode.ILLEGAL_GENERATION));
    if (this.state === GroupState.PREPARING_REBALANCE) return respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    this.resetSession(member);
    if (this.state === GroupState.STABLE) return respond(this.syncResultFor(member));
    member.awaitingSync = respond;
    if (memberId !== this.leaderId) return;
    const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    this.state = GroupState.STABLE;
    for (const m of this.members.values()) m.assignment = given.get(m.memberId) ?? EMPTY_BYTES;
    this.settings.onSettled?.(this);
    for (const m of this.members.values()) {
      const waiting = m.awaitingSync;
      m.awaitingSync = null;
      waiting?.(this.syncResultFor(m));
    }
  }

  private syncResultFor(member: Member): SyncResult {
    return { errorCode: ErrorCode.NONE, protocolType: this.protocolType, protocolName: this.protocolName, assignment: member.assignment };
  }

  /** What is stored of the group: its generation and, when Stable, each member with its assignment. */
  snapshot(): GroupSnapshot {
    return {
      protocolType: this.protocolType ?? '',
      generationId: this.generationId,
      protocolName: this.protocolName,
      leaderId: this.leaderId,
      stateTimestamp: this.timers.now(),
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.protocols.find((p) => p.name === this.protocolName)?.metadata ?? EMPTY_BYTES,
        assignment: m.assignment,
      })),
    };
  }

  /**
   * Brings back a group stored before a restart. Its members keep their generation and assignment
   * and get a fresh session timeout to heartbeat again; those that do not are removed as usual.
   */
  restore(snapshot: GroupSnapshot): void {
    this.protocolType = snapshot.protocolType || null;
    this.generationId = snapshot.generationId;
    this.protocolName = snapshot.protocolName;
    this.leaderId = snapshot.leaderId;
    for (const m of snapshot.members) {
      const member = this.newMember(
        { ...m, protocolType: snapshot.protocolType, protocols: [{ name: snapshot.protocolName ?? '', metadata: m.subscription }], requireKnownMemberId: false },
        m.memberId,
      );
      member.assignment = m.assignment;
      this.members.set(m.memberId, member);
      if (m.groupInstanceId !== null) this.staticMembers.set(m.groupInstanceId, m.memberId);
      this.resetSession(member);
    }
    this.state = this.members.size > 0 ? GroupState.STABLE : GroupState.EMPTY;
    this.emptySince = this.members.size > 0 ? null : snapshot.stateTimestamp;
  }

  /**
   * This broker no longer coordinates the group (its partition moved): timers stop, and members
   * waiting in a join or a sync are answered with `errorCode` so that they find the new coordinator.
   */
  shutdown(errorCode: number): void {
    this.timers.clear(this.rebalanceTimer);
    for (const timer of this.pending.values()) this.timers.clear(timer);
    this.pending.clear();
    for (const member of this.members.values()) {
      this.timers.clear(member.sessionTimer);
      const join = member.awaitingJoin;
      const sync = member.awaitingSync;
      member.awaitingJoin = member.awaitingSync = null;
      join?.(joinError(errorCode, member.memberId));
      sync?.(syncError(errorCode));
    }
  }

  heartbeat(memberId: string, groupInstanceId: string | null, generationId: number): number {
    const member = this.members.get(memberId);
    if (!member) return this.fencedOrUnknown(groupInstanceId, memberId);
    if (groupInstanceId !== member.groupInstanceId) return ErrorCode.FENCED_INSTANCE_ID;
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (this.state === GroupState.PREPARING_REBALANCE) {
      // Keep it alive while it is told to rejoin.
      this.resetSession(member);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    }
    this.resetSession(member);
    return ErrorCode.NONE;
  }

  /** LeaveGroup for one member identity: its error code. */
  leave(memberId: string, groupInstanceId: string | null): number {
    if (this.pending.has(memberId)) {
      this.timers.clear(this.pending.get(memberId));
      this.pending.delete(memberId);
      this.maybeCompleteJoin();
      return ErrorCode.NONE;
    }
    const id = groupInstanceId !== null ? this.staticMembers.get(groupInstanceId) : memberId;
    if (id === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (groupInstanceId !== null && memberId !== '' && memberId !== id) return ErrorCode.FENCED_INSTANCE_ID;
    const member = this.members.get(id);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMemberAndRebalance(member);
    return ErrorCode.NONE;
  }

  private removeMember(member: Member): void {
    this.timers.clear(member.sessionTimer);
    this.members.delete(member.memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === member.memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    member.awaitingJoin?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    member.awaitingSync?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    member.awaitingJoin = member.awaitingSync = null;
  }

  private removeMemberAndRebalance(member: Member): void {
    this.removeMember(member);
    if (this.leaderId === member.memberId) this.leaderId = this.members.keys().next().value ?? null;
    if (this.state === GroupState.STABLE || this.state === GroupState.COMPLETING_REBALANCE) this.prepareRebalance();
    else if (this.state === GroupState.PREPARING_REBALANCE) this.maybeCompleteJoin();
  }

  private resetSession(member: Member): void {
    this.timers.clear(member.sessionTimer);
    member.sessionTimer = this.timers.set(() => {
      if (this.members.get(member.memberId) === member) this.removeMemberAndRebalance(member);
    }, member.sessionTimeoutMs);
  }

  private fencedOrUnknown(groupInstanceId: string | null, memberId: string): number {
    if (groupInstanceId !== null && this.staticMembers.has(groupInstanceId) && this.staticMembers.get(groupInstanceId) !== memberId) {
      return ErrorCode.FENCED_INSTANCE_ID;
    }
    return ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /** A member may join only with the group's protocol type and at least one protocol every member supports. */
  private supports(protocolType: string, protocols: { name: string }[]): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    if (this.members.size === 0) return true;
    if (protocolType !== this.protocolType) return false;
    const names = new Set(protocols.map((p) => p.name));
    return [...this.members.values()].every((m) => m.protocols.some((p) => names.has(p.name)))
      && protocols.some((p) => [...this.members.values()].every((m) => m.protocols.some((q) => q.name === p.name)));
  }
}

function sameProtocols(member: Member, params: JoinParams): boolean {
  return member.protocols.length === params.protocols.length
    && member.protocols.every((p, i) => p.name === params.protocols[i].name && p.metadata.equals(params.protocols[i].metadata));
}
