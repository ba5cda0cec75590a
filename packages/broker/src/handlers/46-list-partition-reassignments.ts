import {
  ApiKey, createListPartitionReassignmentsResponse, ErrorCode, createListPartitionReassignmentsResponseOngoingPartitionReassignment,
  createListPartitionReassignmentsResponseOngoingTopicReassignment, type ListPartitionReassignmentsRequest, type ListPartitionReassignmentsResponse,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canCluster } from '../security/authorizer.ts';

/** Reassignments under way: each partition's replicas now, those being added and those being removed. */
export const listPartitionReassignmentsHandler: Handler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> = {
  apiKey: ApiKey.ListPartitionReassignments,
  versions: { min: 0, max: 0 },
  handle(ctx, request) {
    if (!canCluster(ctx, AclOperation.DESCRIBE)) return createListPartitionReassignmentsResponse({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'DESCRIBE on the cluster is needed' });
    const view = ctx.broker.cluster?.view;
    const topics = [];
    for (const topic of view?.topics.values() ?? []) {
      const wanted = request.topics === null ? null : request.topics.find((t) => t.name === topic.name);
      if (request.topics !== null && !wanted) continue;
      const partitions = Object.entries(topic.assignment.reassigning ?? {})
        .filter(([index]) => !wanted || wanted.partitionIndexes.includes(Number(index)))
        .map(([index, r]) => createListPartitionReassignmentsResponseOngoingPartitionReassignment({
          partitionIndex: Number(index),
          replicas: topic.assignment.replicas[Number(index)],
          addingReplicas: r.target.filter((b) => !r.original.includes(b)),
          removingReplicas: r.original.filter((b) => !r.target.includes(b)),
        }));
      if (partitions.length > 0) topics.push(createListPartitionReassignmentsResponseOngoingTopicReassignment({ name: topic.name, partitions }));
    }
    return createListPartitionReassignmentsResponse({ topics });
  },
};
