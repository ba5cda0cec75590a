import { ApiKey } from '@millrace/protocol';

/**
 * The first version of each API whose clients throttle themselves on throttle_time_ms (KIP-219,
 * Kafka 2.0): those get their answer at once, and the broker stops reading their connection for
 * the throttle time. Older clients ignore the field, so their answer itself is held back. APIs
 * newer than Kafka 2.0 throttle themselves from version 0.
 */
const CLIENT_THROTTLES_FROM: Partial<Record<number, number>> = {
  [ApiKey.Produce]: 6, [ApiKey.Fetch]: 8, [ApiKey.ListOffsets]: 3, [ApiKey.Metadata]: 6,
  [ApiKey.OffsetCommit]: 4, [ApiKey.OffsetFetch]: 4, [ApiKey.FindCoordinator]: 2, [ApiKey.JoinGroup]: 3,
  [ApiKey.Heartbeat]: 2, [ApiKey.LeaveGroup]: 2, [ApiKey.SyncGroup]: 2, [ApiKey.DescribeGroups]: 2,
  [ApiKey.ListGroups]: 2, [ApiKey.ApiVersions]: 2, [ApiKey.CreateTopics]: 3, [ApiKey.DeleteTopics]: 2,
  [ApiKey.DeleteRecords]: 1, [ApiKey.InitProducerId]: 1, [ApiKey.OffsetForLeaderEpoch]: 2,
  [ApiKey.AddPartitionsToTxn]: 1, [ApiKey.AddOffsetsToTxn]: 1, [ApiKey.EndTxn]: 1, [ApiKey.TxnOffsetCommit]: 1,
  [ApiKey.DescribeAcls]: 1, [ApiKey.CreateAcls]: 1, [ApiKey.DeleteAcls]: 1, [ApiKey.DescribeConfigs]: 2,
  [ApiKey.AlterConfigs]: 1, [ApiKey.CreatePartitions]: 1, [ApiKey.DeleteGroups]: 1,
};

export function clientThrottlesItself(apiKey: number, apiVersion: number): boolean {
  return apiVersion >= (CLIENT_THROTTLES_FROM[apiKey] ?? 0);
}
