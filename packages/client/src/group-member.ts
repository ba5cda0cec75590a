import {
  ApiKey, createHeartbeatRequest, createJoinGroupRequest, createJoinGroupRequestJoinGroupRequestProtocol, createLeaveGroupRequest, createLeaveGroupRequestMemberIdentity,
  createSyncGroupRequest, createSyncGroupRequestSyncGroupRequestAssignment, ErrorCode, type HeartbeatResponse, type JoinGroupResponse, type LeaveGroupResponse,
  type SyncGroupResponse,
} from '@millrace/protocol';
import type { Assignor, GroupMemberInfo } from './assignors.ts';
import { type Cluster, CoordinatorType } from './cluster.ts';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, type TopicPartitions } from './consumer-protocol.ts';
import { KafkaError } from './errors.ts';
import { difference, isEmpty } from './topic-partitions.ts';

const JOIN_GROUP_VERSIONS = [4, 9] as const;
const SYNC_GROUP_VERSIONS = [3, 5] as const;
const HEARTBEAT_VERSIONS = [3, 4] as const;
const LEAVE_GROUP_VERSIONS = [3, 5] as const;

/** What the consumer does when its partitions change; the member waits for each before going on. */
export interface MembershipHooks {
  /** The topics to subscribe to now. */
  topics(): string[];
  /** Partition counts of `topics`, read fresh from the cluster (the leader assigns with them). */
  partitionCounts(topics: string[]): Promise<Map<string, number>>;
  assigned(partitions: TopicPartitions): Promise<void>;
  /** Given up in a rebalance: the consumer may still commit their offsets. */
  revoked(partitions: TopicPartitions): Promise<void>;
  /** Taken away without a rebalance (session expired, fenced): their offsets can no longer be committed. */
  lost(partitions: TopicPartitions): Promise<void>;
  /** A fatal error: this member cannot go on (another instance with its group.instance.id took over, say). */
  failed(err: Error): void;
}

export interface GroupMemberOptions {
  groupId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  assignors: Assignor[];
}

/** Errors after which the member must join again, with what it must forget first. */
const REJOIN: Record<number, 'keep' | 'lose-generation' | 'lose-member'> = {
  [ErrorCode.REBALANCE_IN_PROGRESS]: 'keep',
  [ErrorCode.ILLEGAL_GENERATION]: 'lose-generation',
  [ErrorCode.UNKNOWN_MEMBER_ID]: 'lose-member',
};

/**
 * One consumer's membership of a group through the classic group protocol: JoinGroup (the leader
 * runs the assignor over every member's subscription), SyncGroup, heartbeats, and LeaveGroup. It
 * tracks the partitions this member owns and tells the consumer of every change through the hooks.
 */
export class GroupMember {
  private readonly cluster: Cluster;
  private readonly options: GroupMemberOptions;
  private readonly hooks: MembershipHooks;
  memberId = '';
  generationId = -1;
  private protocol: Assignor | null = null;
  owned: TopicPartitions = new Map();
  /** Partition counts the current assignment was made with; a change calls for a rebalance. */
  private assignedWith = new Map<string, number>();
  private rejoinNeeded = true;
  /** Set by `abandon`: every partition is to be given up as lost before joining again. */
  private abandonNeeded = false;
  private wake: (() => void) | null = null;
  private stopped = false;
  /** True from JoinGroup until the assignment is known: no heartbeats then. */
  private joining = false;
  private heartbeatError: number | null = null;
  private stopHeartbeatWait: (() => void) | null = null;
  private running: Promise<void> | null = null;

  constructor(cluster: Cluster, options: GroupMemberOptions, hooks: MembershipHooks) {
    this.cluster = cluster;
    this.options = options;
    this.hooks = hooks;
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Asks for a rebalance soon (the subscription or the topics' partition counts changed). */
  requestRejoin(): void {
    this.rejoinNeeded = true;
    this.wake?.();
  }

  /**
   * Gives up every owned partition as lost (no revocation, nothing committed) and joins again, in
   * the member's own loop: for a consumer whose progress in them can no longer be committed.
   */
  abandon(): void {
    this.abandonNeeded = true;
    this.wake?.();
  }

  /** The group's view of this member, for offset commits and transactional sendOffsets. */
  get metadata(): { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null } {
    return { groupId: this.options.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.options.groupInstanceId };
  }

  /** Whether partition counts changed since the assignment: the member then asks for a rebalance. */
  async checkPartitionCounts(): Promise<void> {
    if (this.rejoinNeeded || this.generationId < 0) return;
    const counts = await this.hooks.partitionCounts(this.hooks.topics());
    for (const [topic, count] of counts) if (this.assignedWith.get(topic) !== count) return this.requestRejoin();
  }

  /**
   * The member's loop: joins when a rebalance is needed, otherwise waits to be woken. Heartbeats
   * run in their own loop, so they go on while the consumer's rebalance hooks run.
   */
  private async run(): Promise<void> {
    const heartbeats = this.heartbeatLoop();
    let failures = 0;
    while (!this.stopped) {
      try {
        const code = this.heartbeatError;
        this.heartbeatError = null;
        if (code !== null) await this.onError(code, 'Heartbeat');
        if (this.abandonNeeded) {
          this.abandonNeeded = false;
          this.rejoinNeeded = true;
          this.generationId = -1;
          await this.loseAll();
        }
        if (this.rejoinNeeded) await this.joinAndSync();
        else {
          await this.sleep(1000);
          // A subscribed topic missing (or without partitions) at the last assignment is looked for every second, not only
          // at each metadata refresh: its partitions are taken up as soon as it is created.
          if (this.hooks.topics().some((t) => !this.assignedWith.get(t))) await this.checkPartitionCounts();
        }
        failures = 0;
      } catch (err) {
        this.joining = false;
        if (this.stopped) break;
        if (err instanceof KafkaError && !err.retriable && !(err.errorCode in REJOIN)) {
          this.stopped = true;
          this.hooks.failed(err);
          break;
        }
        failures++;
        await this.sleep(Math.min(1000, 100 * 2 ** Math.min(failures, 4)));
      }
    }
    await heartbeats;
  }

  /** Sleeps `ms`, or less if woken (a rejoin is asked for, a heartbeat failed, the member stops). */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  /** Heartbeats every interval while the member has a generation and is not joining; an error wakes the main loop. */
  private async heartbeatLoop(): Promise<void> {
    const { groupId, groupInstanceId, heartbeatIntervalMs } = this.options;
    while (!this.stopped) {
      await new Promise<void>((resolve) => {
        this.stopHeartbeatWait = resolve;
        setTimeout(resolve, heartbeatIntervalMs);
      });
      if (this.stopped || this.joining || this.rejoinNeeded || this.generationId < 0) continue;
      try {
        const { response } = await this.cluster.sendToCoordinator<HeartbeatResponse>(groupId, CoordinatorType.GROUP, ApiKey.Heartbeat, HEARTBEAT_VERSIONS,
          () => createHeartbeatRequest({ groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId }), (r) => r.errorCode);
        if (response.errorCode !== ErrorCode.NONE && !this.joining) {
          this.heartbeatError = response.errorCode;
          this.wake?.();
        }
      } catch {
        // The coordinator is unreachable for now; the next heartbeat tries again (the session timeout decides).
      }
    }
  }

  /** Handles an error code from the coordinator: rejoins (forgetting what it must), or throws. */
  private async onError(code: number, api: string): Promise<void> {
    const rejoin = REJOIN[code];
    if (rejoin === undefined) throw new KafkaError(code, { api, message: `group ${this.options.groupId}` });
    this.rejoinNeeded = true;
    if (rejoin === 'keep') return;
    this.generationId = -1;
    if (rejoin === 'lose-member') this.memberId = '';
    await this.loseAll();
  }

  private async loseAll(): Promise<void> {
    const lost = this.owned;
    this.owned = new Map();
    if (!isEmpty(lost)) await this.hooks.lost(lost);
  }

  private async joinAndSync(): Promise<void> {
    // An eager protocol gives everything up before joining; a cooperative one keeps it.
    if (this.protocol?.protocol !== 'cooperative' && !isEmpty(this.owned)) {
      const revoked = this.owned;
      this.owned = new Map();
      await this.hooks.revoked(revoked);
    }
    this.joining = true;
    const topics = this.hooks.topics();
    // The partition counts as of before the join: whatever changes after it (a topic created while
    // the leader assigns, say) differs from them and brings a rejoin, never goes unnoticed.
    const counts = await this.hooks.partitionCounts(topics).catch(() => new Map<string, number>());
    const join = await this.sendJoin(topics);
    if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      this.memberId = join.memberId;
      this.joining = false;
      return;
    }
    if (join.errorCode !== ErrorCode.NONE) {
      this.joining = false;
      return this.onError(join.errorCode, 'JoinGroup');
    }
    this.memberId = join.memberId;
    const assignor = this.options.assignors.find((a) => a.name === join.protocolName);
    if (!assignor) throw new KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, { api: 'JoinGroup', message: `the group chose ${join.protocolName}, which this consumer does not have` });
    const assignments = join.leader === join.memberId && !join.skipAssignment ? await this.assign(assignor, join) : new Map<string, Buffer>();
    const sync = await this.sendSync(join, assignments);
    this.joining = false;
    if (sync.errorCode !== ErrorCode.NONE) return this.onError(sync.errorCode, 'SyncGroup');
    this.generationId = join.generationId;
    this.protocol = assignor;
    this.rejoinNeeded = false;
    this.assignedWith = counts;
    const { partitions, userData } = decodeAssignment(sync.assignment);
    assignor.assigned?.(userData);
    await this.apply(partitions);
  }

  /** Takes the new assignment: revokes what was taken away (then joins again), starts what is new. */
  private async apply(assignment: TopicPartitions): Promise<void> {
    const revoked = difference(this.owned, assignment);
    const added = difference(assignment, this.owned);
    if (!isEmpty(revoked)) {
      this.owned = difference(this.owned, revoked);
      await this.hooks.revoked(revoked);
      // Cooperative: the partitions given up go to their new owner in the next round.
      this.rejoinNeeded = true;
    }
    this.owned = assignment;
    await this.hooks.assigned(added);
  }

  private async assign(assignor: Assignor, join: JoinGroupResponse): Promise<Map<string, Buffer>> {
    const members: GroupMemberInfo[] = join.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, subscription: decodeSubscription(m.metadata) }));
    const counts = await this.hooks.partitionCounts([...new Set(members.flatMap((m) => m.subscription.topics))]);
    const assignment = assignor.assign(members, counts);
    return new Map([...assignment].map(([memberId, partitions]) => [memberId, encodeAssignment(partitions, assignor.assignmentUserData?.(memberId, assignment, members) ?? null)]));
  }

  private async sendJoin(topics: string[]): Promise<JoinGroupResponse> {
    const { groupId, groupInstanceId, sessionTimeoutMs, rebalanceTimeoutMs, assignors } = this.options;
    const protocols = assignors.map((a) => createJoinGroupRequestJoinGroupRequestProtocol({
      name: a.name,
      metadata: encodeSubscription({ topics, owned: a.protocol === 'cooperative' ? this.owned : new Map(), generationId: this.generationId, userData: a.subscriptionUserData?.() ?? null }),
    }));
    const { response } = await this.cluster.sendToCoordinator<JoinGroupResponse>(groupId, CoordinatorType.GROUP, ApiKey.JoinGroup, JOIN_GROUP_VERSIONS,
      () => createJoinGroupRequest({ groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId: this.memberId, groupInstanceId, protocolType: 'consumer', protocols }),
      (r) => r.errorCode, { timeoutMs: rebalanceTimeoutMs + 5000 });
    return response;
  }

  private async sendSync(join: JoinGroupResponse, assignments: Map<string, Buffer>): Promise<SyncGroupResponse> {
    const { groupId, groupInstanceId, rebalanceTimeoutMs } = this.options;
    const { response } = await this.cluster.sendToCoordinator<SyncGroupResponse>(groupId, CoordinatorType.GROUP, ApiKey.SyncGroup, SYNC_GROUP_VERSIONS,
      () => createSyncGroupRequest({
        groupId, generationId: join.generationId, memberId: join.memberId, groupInstanceId, protocolType: 'consumer', protocolName: join.protocolName,
        assignments: [...assignments].map(([memberId, assignment]) => createSyncGroupRequestSyncGroupRequestAssignment({ memberId, assignment })),
      }),
      (r) => r.errorCode, { timeoutMs: rebalanceTimeoutMs + 5000 });
    return response;
  }

  /**
   * Stops: revokes the partitions (the consumer commits them) and leaves the group, so that the
   * others take them over at once. A static member does not leave: its partitions wait for it
   * until its session times out, so a restart within that time moves nothing.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake?.();
    this.stopHeartbeatWait?.();
    // A JoinGroup may wait for the whole rebalance: leaving ends it, so do not wait for it first.
    if (!this.joining) await this.running?.catch(() => undefined);
    const revoked = this.owned;
    this.owned = new Map();
    if (!isEmpty(revoked)) await this.hooks.revoked(revoked);
    if (this.options.groupInstanceId !== null || this.memberId === '') return;
    const { groupId } = this.options;
    await this.cluster.sendToCoordinator<LeaveGroupResponse>(groupId, CoordinatorType.GROUP, ApiKey.LeaveGroup, LEAVE_GROUP_VERSIONS,
      () => createLeaveGroupRequest({ groupId, members: [createLeaveGroupRequestMemberIdentity({ memberId: this.memberId, reason: 'the consumer is closing' })] })).catch(() => undefined);
    await this.running?.catch(() => undefined);
  }
}
