import { ErrorCode } from '@millrace/protocol';
import type { Assignor, GroupMemberInfo } from './assignors.ts';
import type { Cluster } from './cluster.ts';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, type TopicPartitions } from './consumer-protocol.ts';
import { KafkaError } from './errors.ts';
import { type GroupProtocol, GroupMembership, type JoinedGroup, type MembershipOptions, type ProtocolMember } from './group-membership.ts';
import { difference, isEmpty } from './topic-partitions.ts';

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

export interface GroupMemberOptions extends MembershipOptions {
  assignors: Assignor[];
}

/**
 * One consumer's membership of a group: the "consumer" protocol (subscriptions in, partitions
 * out, through the chosen assignor) over the classic group membership. It tracks the partitions
 * this member owns and tells the consumer of every change through the hooks.
 */
export class GroupMember implements GroupProtocol {
  readonly protocolType = 'consumer';
  private readonly options: GroupMemberOptions;
  private readonly hooks: MembershipHooks;
  private readonly membership: GroupMembership;
  private protocol: Assignor | null = null;
  owned: TopicPartitions = new Map();
  /** Partition counts the current assignment was made with; a change calls for a rebalance. */
  private assignedWith = new Map<string, number>();
  /** Partition counts read before the pending JoinGroup. */
  private joinedWith = new Map<string, number>();

  constructor(cluster: Cluster, options: GroupMemberOptions, hooks: MembershipHooks) {
    this.options = options;
    this.hooks = hooks;
    this.membership = new GroupMembership(cluster, options, this);
  }

  start(): void {
    this.membership.start();
  }

  /** Asks for a rebalance soon (the subscription or the topics' partition counts changed). */
  requestRejoin(): void {
    this.membership.requestRejoin();
  }

  /**
   * Gives up every owned partition as lost (no revocation, nothing committed) and joins again, in
   * the member's own loop: for a consumer whose progress in them can no longer be committed.
   */
  abandon(): void {
    this.membership.abandon();
  }

  /** The group's view of this member, for offset commits and transactional sendOffsets. */
  get metadata(): { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null } {
    return this.membership.metadata;
  }

  /** Whether partition counts changed since the assignment: the member then asks for a rebalance. */
  async checkPartitionCounts(): Promise<void> {
    if (!this.membership.stable) return;
    const counts = await this.hooks.partitionCounts(this.hooks.topics());
    for (const [topic, count] of counts) if (this.assignedWith.get(topic) !== count) return this.requestRejoin();
  }

  /**
   * A subscribed topic missing (or without partitions) at the last assignment is looked for every
   * second, not only at each metadata refresh: its partitions are taken up as soon as it is created.
   */
  async idle(): Promise<void> {
    if (this.hooks.topics().some((t) => !this.assignedWith.get(t))) await this.checkPartitionCounts();
  }

  /** An eager protocol gives everything up before joining; a cooperative one keeps it. */
  async joining(): Promise<void> {
    if (this.protocol?.protocol === 'cooperative' || isEmpty(this.owned)) return;
    const revoked = this.owned;
    this.owned = new Map();
    await this.hooks.revoked(revoked);
  }

  async joinProtocols(): Promise<{ name: string; metadata: Buffer }[]> {
    const topics = this.hooks.topics();
    // The partition counts as of before the join: whatever changes after it (a topic created while
    // the leader assigns, say) differs from them and brings a rejoin, never goes unnoticed.
    this.joinedWith = await this.hooks.partitionCounts(topics).catch(() => new Map<string, number>());
    const { generationId } = this.membership;
    return this.options.assignors.map((a) => ({
      name: a.name,
      metadata: encodeSubscription({ topics, owned: a.protocol === 'cooperative' ? this.owned : new Map(), generationId, userData: a.subscriptionUserData?.() ?? null }),
    }));
  }

  private assignor(join: JoinedGroup): Assignor {
    const assignor = this.options.assignors.find((a) => a.name === join.protocolName);
    if (!assignor) throw new KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, { api: 'JoinGroup', message: `the group chose ${join.protocolName}, which this consumer does not have` });
    return assignor;
  }

  async assign(join: JoinedGroup, protocolMembers: ProtocolMember[]): Promise<Map<string, Buffer>> {
    const assignor = this.assignor(join);
    const members: GroupMemberInfo[] = protocolMembers.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, subscription: decodeSubscription(m.metadata) }));
    const counts = await this.hooks.partitionCounts([...new Set(members.flatMap((m) => m.subscription.topics))]);
    const assignment = assignor.assign(members, counts);
    return new Map([...assignment].map(([memberId, partitions]) => [memberId, encodeAssignment(partitions, assignor.assignmentUserData?.(memberId, assignment, members) ?? null)]));
  }

  /** Takes the new assignment: revokes what was taken away (then joins again), starts what is new. */
  async assigned(join: JoinedGroup, bytes: Buffer): Promise<boolean> {
    const assignor = this.assignor(join);
    this.protocol = assignor;
    this.assignedWith = this.joinedWith;
    const { partitions: assignment, userData } = decodeAssignment(bytes);
    assignor.assigned?.(userData);
    const revoked = difference(this.owned, assignment);
    const added = difference(assignment, this.owned);
    if (!isEmpty(revoked)) {
      this.owned = difference(this.owned, revoked);
      await this.hooks.revoked(revoked);
      // Cooperative: the partitions given up go to their new owner in the next round (asked for now, whatever the hook below does).
      this.membership.requestRejoin();
    }
    this.owned = assignment;
    await this.hooks.assigned(added);
    return !isEmpty(revoked);
  }

  async lost(): Promise<void> {
    const lost = this.owned;
    this.owned = new Map();
    if (!isEmpty(lost)) await this.hooks.lost(lost);
  }

  async leaving(): Promise<void> {
    const revoked = this.owned;
    this.owned = new Map();
    if (!isEmpty(revoked)) await this.hooks.revoked(revoked);
  }

  failed(err: Error): void {
    this.hooks.failed(err);
  }

  /**
   * Stops: revokes the partitions (the consumer commits them) and leaves the group, so that the
   * others take them over at once. A static member does not leave: its partitions wait for it
   * until its session times out, so a restart within that time moves nothing.
   */
  stop(): Promise<void> {
    return this.membership.stop('the consumer is closing');
  }
}
