import { type ClusterDescription, describeCluster } from './admin-cluster.ts';
import { type AlterConfigResource, type ConfigResource, describeConfigs, incrementalAlterConfigs, type ResourceConfigs } from './admin-configs.ts';
import { type CommittedOffset, deleteGroups, deleteOffsets, describeGroups, fetchOffsets, type GroupDescription, type GroupListing, type GroupState, listGroups } from './admin-groups.ts';
import { deleteRecords, groupLag, listOffsets, type ListOffsetsOptions, type OffsetSpec, type PartitionLag, type PartitionOffset, type ResetTarget, resetOffsets } from './admin-offsets.ts';
import { type CreatedTopic, createPartitions, createTopics, type CreateTopicsOptions, deleteTopics, describeTopics, listTopics, type NewTopic, type TopicDescription } from './admin-topics.ts';
import { Cluster, type ClusterOptions } from './cluster.ts';
import type { AclBinding, AclFilter } from '@millrace/security';
import { createAcls, deleteAcls, describeAcls } from './admin-acls.ts';
import { alterScramUsers, describeScramUsers, type ScramCredentialChange, type ScramUserDescription } from './admin-users.ts';
import { describeLogDirs, type LogDirDescription } from './admin-log-dirs.ts';
import { alterClientQuotas, type ClientQuotaAlteration, type ClientQuotaEntity, type ClientQuotaFilterComponent, describeClientQuotas } from './admin-quotas.ts';

export type { MemberAssignment } from './admin-assignment.ts';
export type { BrokerDescription, ClusterDescription } from './admin-cluster.ts';
export type { AlterConfigResource, ConfigEntry, ConfigResource, ConfigResourceType, ConfigSource, ResourceConfigs } from './admin-configs.ts';
export type { CommittedOffset, GroupDescription, GroupListing, GroupMember, GroupState } from './admin-groups.ts';
export type { LogDirDescription, ReplicaSize } from './admin-log-dirs.ts';
export type { ListOffsetsOptions, OffsetSpec, PartitionLag, PartitionOffset, ResetTarget } from './admin-offsets.ts';
export type { CreatedTopic, CreateTopicsOptions, NewTopic, PartitionDescription, TopicDescription } from './admin-topics.ts';

export type { ScramCredentialChange, ScramUserDescription } from './admin-users.ts';
export type { ClientQuotaAlteration, ClientQuotaEntity, ClientQuotaFilterComponent } from './admin-quotas.ts';

export type AdminOptions = ClusterOptions;

/**
 * A Kafka admin client: topics, configs, consumer groups and their offsets, records and the
 * cluster, each call one promise. Bad arguments throw a ClientError (MILLRACE_INVALID_ARGUMENT)
 * before anything is sent; a broker's refusal throws a KafkaError whose `code` is Kafka's error
 * name and whose `topic` (and `partition`) say what it concerns.
 *
 * Calls on several topics, groups or resources act on each: if any fails, the call throws that
 * item's KafkaError when only one failed, else an AggregateError holding one KafkaError per failed
 * item; the others took effect. Reads are retried on transient errors; changes are sent once (a
 * retry after a lost answer would report a change it made as a failure), except group-offset
 * changes, which the coordinator protocol retries.
 */
export class Admin {
  private readonly cluster: Cluster;

  constructor(options: AdminOptions) {
    this.cluster = new Cluster(options);
  }

  /**
   * Creates topics; resolves with each one's id, partitions and replication factor. A topic that
   * exists fails with code TOPIC_ALREADY_EXISTS (catch it for "create if missing").
   */
  createTopics(topics: NewTopic[], options?: CreateTopicsOptions): Promise<CreatedTopic[]> {
    return createTopics(this.cluster, topics, options);
  }

  /** Names of the cluster's topics, sorted; internal ones (__consumer_offsets, …) only with `includeInternal`. */
  listTopics(options?: { includeInternal?: boolean }): Promise<string[]> {
    return listTopics(this.cluster, options);
  }

  /** Topics' ids and partitions (leader, replicas, in-sync replicas), in the order asked. */
  describeTopics(names: string[]): Promise<TopicDescription[]> {
    return describeTopics(this.cluster, names);
  }

  deleteTopics(names: string[], options?: { timeoutMs?: number }): Promise<void> {
    return deleteTopics(this.cluster, names, options);
  }

  /** Grows each topic to `count` partitions (INVALID_PARTITIONS if that is not more than it has). */
  createPartitions(topics: { topic: string; count: number }[], options?: CreateTopicsOptions): Promise<void> {
    return createPartitions(this.cluster, topics, options);
  }

  /** Configs of topics and brokers: value, source, whether default, sensitive or read-only; with `synonyms`, what each value overrides. */
  describeConfigs(resources: ConfigResource[], options?: { synonyms?: boolean }): Promise<ResourceConfigs[]> {
    return describeConfigs(this.cluster, resources, options);
  }

  /** Sets, deletes (back to the default), appends to or subtracts from some configs, leaving the others alone. */
  incrementalAlterConfigs(resources: AlterConfigResource[], options?: { validateOnly?: boolean }): Promise<void> {
    return incrementalAlterConfigs(this.cluster, resources, options);
  }

  /** Every broker's groups, sorted by id; with `states`, only groups in one of them. */
  listGroups(options?: { states?: GroupState[] }): Promise<GroupListing[]> {
    return listGroups(this.cluster, options);
  }

  /** Groups' state, assignor and members with their decoded assignments. An unknown group is described as 'Dead'. */
  describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    return describeGroups(this.cluster, groupIds);
  }

  /** The group's committed offsets, of `topics` or of all; partitions without a commit are left out. */
  fetchOffsets(groupId: string, topics?: string[]): Promise<CommittedOffset[]> {
    return fetchOffsets(this.cluster, groupId, topics);
  }

  /** Committed offset, log end offset and lag of each partition of the topics the group committed to or is assigned. */
  groupLag(groupId: string): Promise<PartitionLag[]> {
    return groupLag(this.cluster, groupId);
  }

  /** Deletes groups with their offsets; a group with members is refused with NON_EMPTY_GROUP. */
  deleteGroups(groupIds: string[]): Promise<void> {
    return deleteGroups(this.cluster, groupIds);
  }

  /**
   * Sets the group's offsets of a topic: to 'earliest', 'latest', `{ timestamp }` (the first
   * record at or after it, else the end), or `{ offsets: { partition: offset } }`. Only while the
   * group has no members: otherwise the broker's UNKNOWN_MEMBER_ID, saying so. Returns what was committed.
   */
  resetOffsets(groupId: string, reset: { topic: string; to: ResetTarget }): Promise<{ topic: string; partition: number; offset: number }[]> {
    return resetOffsets(this.cluster, groupId, reset);
  }

  /** Deletes the group's committed offsets of some partitions; refused with GROUP_SUBSCRIBED_TO_TOPIC while members subscribe to the topic. */
  deleteOffsets(groupId: string, topic: string, partitions: number[]): Promise<void> {
    return deleteOffsets(this.cluster, groupId, topic, partitions);
  }

  /** Deletes records before the given offsets ('latest': all); resolves with each partition's new low watermark (log start offset). */
  deleteRecords(request: { topic: string; partitions: Record<number, number | 'latest'> }, options?: { timeoutMs?: number }): Promise<{ partition: number; lowWatermark: number }[]> {
    return deleteRecords(this.cluster, request, options);
  }

  /** Each partition's offset at the start, the end, or a time (the end where no record is that late). */
  listOffsets(topic: string, spec: OffsetSpec, options?: ListOffsetsOptions): Promise<PartitionOffset[]> {
    return listOffsets(this.cluster, topic, spec, options);
  }

  describeCluster(): Promise<ClusterDescription> {
    return describeCluster(this.cluster);
  }

  /** Each broker's log directory with the size of every replica in it (all topics, or those named) and the disk's size and free space. */
  describeLogDirs(topics?: string[]): Promise<LogDirDescription[]> {
    return describeLogDirs(this.cluster, topics);
  }

  /** Closes the connections; calls after it fail with MILLRACE_CLIENT_CLOSED. */
  async close(): Promise<void> {
    this.cluster.close();
  }

  /** SCRAM users and their mechanisms and iteration counts: all of them, or those named (RESOURCE_NOT_FOUND for one that has none). */
  describeScramUsers(users?: string[]): Promise<ScramUserDescription[]> {
    return describeScramUsers(this.cluster, users);
  }

  /** Creates or replaces (with `password`) and deletes (with `delete: true`) SCRAM credentials; the password is salted here. */
  alterScramUsers(changes: ScramCredentialChange[]): Promise<void> {
    return alterScramUsers(this.cluster, changes);
  }

  /** Creates ACL bindings (the broker must have an authorizer, and this principal ALTER on the cluster). */
  createAcls(bindings: AclBinding[]): Promise<void> {
    return createAcls(this.cluster, bindings);
  }

  /** The ACL bindings a filter matches. */
  describeAcls(filter: AclFilter): Promise<AclBinding[]> {
    return describeAcls(this.cluster, filter);
  }

  /** Deletes the bindings the filters match and resolves with them. */
  deleteAcls(filters: AclFilter[]): Promise<AclBinding[]> {
    return deleteAcls(this.cluster, filters);
  }

  /** The client quotas of the entities the filter selects (all with no components). */
  describeClientQuotas(components?: ClientQuotaFilterComponent[], strict?: boolean): Promise<{ entity: ClientQuotaEntity; values: Record<string, number> }[]> {
    return describeClientQuotas(this.cluster, components, strict);
  }

  /** Sets and removes client quotas (this principal needs ALTER_CONFIGS on the cluster). */
  alterClientQuotas(alterations: ClientQuotaAlteration[], validateOnly?: boolean): Promise<void> {
    return alterClientQuotas(this.cluster, alterations, validateOnly);
  }
}
