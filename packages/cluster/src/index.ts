export { ClusterNode, type ClusterNodeOptions } from './cluster-node.ts';
export { ClusterChangeError, TopicAdmin } from './topic-admin.ts';
export { ClusterView, type LiveBroker, type PartitionView, type TopicView, type ViewChanges } from './cluster-view.ts';
export { LeaderState } from './leader-state.ts';
export { ReplicaFetcher, type FollowedPartition, type FollowerLog } from './replica-fetcher.ts';
export { NO_LEADER, type BrokerRegistration, type PartitionState, type TopicAssignment } from './records.ts';
export { TxnMarkerChannel, type MarkerDestination } from './marker-channel.ts';
export { preferredReadReplica, type ReadReplicaChoice } from './read-replica.ts';
