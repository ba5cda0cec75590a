import {
  ApiKey, type AlterPartitionReassignmentsRequest, type AlterPartitionReassignmentsResponse, createAlterPartitionReassignmentsResponse,
  createAlterPartitionReassignmentsResponseReassignablePartitionResponse, createAlterPartitionReassignmentsResponseReassignableTopicResponse, ErrorCode,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canCluster } from '../security/authorizer.ts';

/**
 * Moves partitions to new replicas (or cancels a move, replicas null). In a cluster the topic's
 * metadata records the move; the new replicas copy the log, and once all are in sync the
 * controller makes them the partition's replicas. A single broker can only keep itself.
 */
export const alterPartitionReassignmentsHandler: Handler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse> = {
  apiKey: ApiKey.AlterPartitionReassignments,
  versions: { min: 0, max: 0 },
  async handle(ctx, request) {
    const state = ctx.broker;
    if (!canCluster(ctx, AclOperation.ALTER)) return createAlterPartitionReassignmentsResponse({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'ALTER on the cluster is needed' });
    const responses = [];
    for (const t of request.topics) {
      let results: Map<number, { errorCode: number; message: string | null }>;
      if (state.cluster) {
        results = await state.cluster.topics.reassign(t.name, t.partitions.map((p) => ({ index: p.partitionIndex, target: p.replicas })));
        await state.replication!.settled();
      } else {
        results = new Map(t.partitions.map((p): [number, { errorCode: number; message: string | null }] => {
          const exists = state.topics.partition(t.name, p.partitionIndex) !== undefined;
          const self = p.replicas !== null && p.replicas.length === 1 && p.replicas[0] === state.identity.nodeId;
          if (!exists) return [p.partitionIndex, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: null }];
          if (p.replicas === null) return [p.partitionIndex, { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, message: null }];
          return [p.partitionIndex, self ? { errorCode: ErrorCode.NONE, message: null } : { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `the only broker is ${state.identity.nodeId}` }];
        }));
      }
      responses.push(createAlterPartitionReassignmentsResponseReassignableTopicResponse({
        name: t.name,
        partitions: t.partitions.map((p) => createAlterPartitionReassignmentsResponseReassignablePartitionResponse({ partitionIndex: p.partitionIndex, errorCode: results.get(p.partitionIndex)!.errorCode, errorMessage: results.get(p.partitionIndex)!.message })),
      }));
    }
    return createAlterPartitionReassignmentsResponse({ responses });
  },
};
