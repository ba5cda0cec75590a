import {
  ApiKey, createHeartbeatRequest, createJoinGroupRequest, createJoinGroupRequestJoinGroupRequestProtocol, createLeaveGroupRequest, createLeaveGroupRequestMemberIdentity,
  createSyncGroupRequest, createSyncGroupRequestSyncGroupRequestAssignment, ErrorCode, type HeartbeatResponse, type JoinGroupResponse, type LeaveGroupResponse,
  type SyncGroupResponse,
} from '@millrace/protocol';
import { type Cluster, CoordinatorType } from './cluster.ts';
import { KafkaError } from './errors.ts';

const JOIN_GROUP_VERSIONS = [4, 9] as const;
const SYNC_GROUP_VERSIONS = [3, 5] as const;
const HEARTBEAT_VERSIONS = [3, 4] as const;
const LEAVE_GROUP_VERSIONS = [3, 5] as const;

/** A generation of the group, as JoinGroup announced it to this member. */
export interface JoinedGroup {
  generationId: number;
  memberId: string;
  leader: string;
  protocolName: string;
}

export interface ProtocolMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

/**
 * What a kind of group member (a consumer, a Connect worker) puts into the classic group protocol:
 * the metadata it joins with, the assignment its leader computes, and what it does as its share
 * changes. The membership waits for each call before going on.
 */
export interface GroupProtocol {
  /** JoinGroup's protocolType: "consumer", "connect". */
  readonly protocolType: string;
  /** Before each JoinGroup: the protocols this member offers, most preferred first, each with its metadata. */
  joinProtocols(): Promise<{ name: string; metadata: Buffer }[]>;
  /** Run by the leader only: every member's assignment, by member id. */
  assign(join: JoinedGroup, members: ProtocolMember[]): Promise<Map<string, Buffer>>;
  /** This member's assignment from SyncGroup. Returns true to join again at once (it gave something up that another member waits for). */
  assigned(join: JoinedGroup, assignment: Buffer): Promise<boolean>;
  /** About to join (again): an eager protocol gives up everything it holds now. */
  joining(): Promise<void>;
  /** The generation is gone (session expired, fenced): everything held is lost, without a rebalance. */
  lost(): Promise<void>;
  /** The member stops: give up everything while the generation still stands. */
  leaving(): Promise<void>;
  /** A fatal error: this member cannot go on (another instance with its group.instance.id took over, say). */
  failed(err: Error): void;
  /** Called about every second while nothing else happens. */
  idle?(): Promise<void>;
}

export interface MembershipOptions {
  groupId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
}

/** Errors after which the member must join again, with what it must forget first. */
const REJOIN: Record<number, 'keep' | 'lose-generation' | 'lose-member'> = {
  [ErrorCode.REBALANCE_IN_PROGRESS]: 'keep',
  [ErrorCode.ILLEGAL_GENERATION]: 'lose-generation',
  [ErrorCode.UNKNOWN_MEMBER_ID]: 'lose-member',
};

/**
 * One member of a group through the classic group protocol: JoinGroup (the leader runs the
 * protocol's assignment over every member's metadata), SyncGroup, heartbeats, and LeaveGroup.
 * What the member holds, and what it does when that changes, is its protocol's business.
 */
export class GroupMembership {
  private readonly cluster: Cluster;
  private readonly options: MembershipOptions;
  private readonly protocol: GroupProtocol;
  memberId = '';
  generationId = -1;
  private rejoinNeeded = true;
  /** Set by `abandon`: everything held is to be given up as lost before joining again. */
  private abandonNeeded = false;
  private wake: (() => void) | null = null;
  private stopped = false;
  /** True from JoinGroup until the assignment is known: no heartbeats then. */
  private joining = false;
  private heartbeatError: number | null = null;
  private stopHeartbeatWait: (() => void) | null = null;
  private running: Promise<void> | null = null;

  constructor(cluster: Cluster, options: MembershipOptions, protocol: GroupProtocol) {
    this.cluster = cluster;
    this.options = options;
    this.protocol = protocol;
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Asks for a rebalance soon. */
  requestRejoin(): void {
    this.rejoinNeeded = true;
    this.wake?.();
  }

  /** Gives up everything held as lost (no revocation) and joins again, in the member's own loop. */
  abandon(): void {
    this.abandonNeeded = true;
    this.wake?.();
  }

  /** Whether the member has a generation and no rebalance is pending. */
  get stable(): boolean {
    return !this.rejoinNeeded && this.generationId >= 0;
  }

  /** The group's view of this member, for offset commits and transactional sendOffsets. */
  get metadata(): { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null } {
    return { groupId: this.options.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.options.groupInstanceId };
  }

  /**
   * The member's loop: joins when a rebalance is needed, otherwise waits to be woken. Heartbeats
   * run in their own loop, so they go on while the protocol's calls run.
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
          await this.protocol.lost();
        }
        if (this.rejoinNeeded) await this.joinAndSync();
        else {
          await this.sleep(1000);
          if (!this.rejoinNeeded && !this.stopped) await this.protocol.idle?.();
        }
        failures = 0;
      } catch (err) {
        this.joining = false;
        if (this.stopped) break;
        if (err instanceof KafkaError && !err.retriable && !(err.errorCode in REJOIN)) {
          this.stopped = true;
          this.protocol.failed(err);
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
    await this.protocol.lost();
  }

  private async joinAndSync(): Promise<void> {
    await this.protocol.joining();
    this.joining = true;
    const join = await this.sendJoin(await this.protocol.joinProtocols());
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
    const joined: JoinedGroup = { generationId: join.generationId, memberId: join.memberId, leader: join.leader, protocolName: join.protocolName ?? '' };
    const assignments = join.leader === join.memberId && !join.skipAssignment
      ? await this.protocol.assign(joined, join.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })))
      : new Map<string, Buffer>();
    const sync = await this.sendSync(join, assignments);
    this.joining = false;
    if (sync.errorCode !== ErrorCode.NONE) return this.onError(sync.errorCode, 'SyncGroup');
    // Stopping while the group synced: what was assigned is not taken up, LeaveGroup gives it back.
    if (this.stopped) return;
    this.generationId = join.generationId;
    this.rejoinNeeded = false;
    let rejoin: boolean;
    try {
      rejoin = await this.protocol.assigned(joined, sync.assignment);
    } catch (err) {
      // Whatever the member failed to take up is taken up in a new round, not held without being worked on.
      this.rejoinNeeded = true;
      throw err;
    }
    if (rejoin) this.rejoinNeeded = true;
  }

  private async sendJoin(offered: { name: string; metadata: Buffer }[]): Promise<JoinGroupResponse> {
    const { groupId, groupInstanceId, sessionTimeoutMs, rebalanceTimeoutMs } = this.options;
    const protocols = offered.map((p) => createJoinGroupRequestJoinGroupRequestProtocol(p));
    const { response } = await this.cluster.sendToCoordinator<JoinGroupResponse>(groupId, CoordinatorType.GROUP, ApiKey.JoinGroup, JOIN_GROUP_VERSIONS,
      () => createJoinGroupRequest({ groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId: this.memberId, groupInstanceId, protocolType: this.protocol.protocolType, protocols }),
      (r) => r.errorCode, { timeoutMs: rebalanceTimeoutMs + 5000 });
    return response;
  }

  private async sendSync(join: JoinGroupResponse, assignments: Map<string, Buffer>): Promise<SyncGroupResponse> {
    const { groupId, groupInstanceId, rebalanceTimeoutMs } = this.options;
    const { response } = await this.cluster.sendToCoordinator<SyncGroupResponse>(groupId, CoordinatorType.GROUP, ApiKey.SyncGroup, SYNC_GROUP_VERSIONS,
      () => createSyncGroupRequest({
        groupId, generationId: join.generationId, memberId: join.memberId, groupInstanceId, protocolType: this.protocol.protocolType, protocolName: join.protocolName,
        assignments: [...assignments].map(([memberId, assignment]) => createSyncGroupRequestSyncGroupRequestAssignment({ memberId, assignment })),
      }),
      (r) => r.errorCode, { timeoutMs: rebalanceTimeoutMs + 5000 });
    return response;
  }

  /**
   * Stops: the protocol gives up what it holds, and the member leaves the group, so that the
   * others take it over at once. A static member does not leave: its share waits for it until its
   * session times out, so a restart within that time moves nothing.
   */
  async stop(reason: string): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake?.();
    this.stopHeartbeatWait?.();
    // A JoinGroup may wait for the whole rebalance: leaving ends it, so do not wait for it first.
    if (!this.joining) await this.running?.catch(() => undefined);
    await this.protocol.leaving();
    if (this.options.groupInstanceId !== null || this.memberId === '') return;
    const { groupId } = this.options;
    await this.cluster.sendToCoordinator<LeaveGroupResponse>(groupId, CoordinatorType.GROUP, ApiKey.LeaveGroup, LEAVE_GROUP_VERSIONS,
      () => createLeaveGroupRequest({ groupId, members: [createLeaveGroupRequestMemberIdentity({ memberId: this.memberId, reason })] })).catch(() => undefined);
    await this.running?.catch(() => undefined);
  }
}
