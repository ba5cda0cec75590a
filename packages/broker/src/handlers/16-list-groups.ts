import { ApiKey, createListGroupsResponse, createListGroupsResponseListedGroup, type ListGroupsRequest, type ListGroupsResponse } from '@millrace/protocol';
import { GroupState } from '../group/group.ts';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canCluster, canGroup } from '../security/authorizer.ts';

export const listGroupsHandler: Handler<ListGroupsRequest, ListGroupsResponse> = {
  apiKey: ApiKey.ListGroups,
  // v5 filters by group type (KIP-848).
  versions: { min: 0, max: 4 },
  handle(ctx, request) {
    const coordinator = ctx.broker.groups;
    const states = new Set(request.statesFilter.map((s) => s.toLowerCase()));
    // DESCRIBE on the cluster lists every group; otherwise only those the principal may describe (Kafka's rule).
    const everyGroup = canCluster(ctx, AclOperation.DESCRIBE);
    const groups = coordinator.groupIds().flatMap((groupId) => {
      if (!everyGroup && !canGroup(ctx, groupId, AclOperation.DESCRIBE)) return [];
      const group = coordinator.group(groupId);
      const groupState = group?.state ?? GroupState.EMPTY;
      if (states.size > 0 && !states.has(groupState.toLowerCase())) return [];
      return [createListGroupsResponseListedGroup({ groupId, protocolType: group?.protocolType ?? '', groupState })];
    });
    return createListGroupsResponse({ groups });
  },
};
