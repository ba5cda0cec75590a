import {
  ApiKey, createDescribeGroupsResponse, createDescribeGroupsResponseDescribedGroup,
  createDescribeGroupsResponseDescribedGroupMember, type DescribeGroupsRequest, type DescribeGroupsResponse, EMPTY, ErrorCode,
} from '@millrace/protocol';
import { GroupState } from '../group/group.ts';
import { AUTHORIZED_OPERATIONS_OMITTED, type Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canGroup } from '../security/authorizer.ts';


export const describeGroupsHandler: Handler<DescribeGroupsRequest, DescribeGroupsResponse> = {
  apiKey: ApiKey.DescribeGroups,
  // v6 reports unknown groups with GROUP_ID_NOT_FOUND instead of the Dead state.
  versions: { min: 0, max: 5 },
  handle(ctx, request) {
    const coordinator = ctx.broker.groups;
    const known = new Set(coordinator.groupIds());
    return createDescribeGroupsResponse({
      groups: request.groups.map((groupId) => {
        if (groupId === '') return createDescribeGroupsResponseDescribedGroup({ groupId, errorCode: ErrorCode.INVALID_GROUP_ID, authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED });
        if (!canGroup(ctx, groupId, AclOperation.DESCRIBE)) return createDescribeGroupsResponseDescribedGroup({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED });
        const refused = coordinator.errorFor(groupId);
        if (refused !== ErrorCode.NONE) return createDescribeGroupsResponseDescribedGroup({ groupId, errorCode: refused, authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED });
        const group = coordinator.group(groupId);
        if (!group) {
          // A group with only committed offsets is Empty; one never seen is Dead (Kafka's answer before v6).
          return createDescribeGroupsResponseDescribedGroup({ groupId, groupState: known.has(groupId) ? GroupState.EMPTY : GroupState.DEAD, authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED });
        }
        // Member metadata and assignments are shown only once the group is Stable, as in Kafka.
        const stable = group.state === GroupState.STABLE;
        return createDescribeGroupsResponseDescribedGroup({
          groupId,
          groupState: group.state,
          protocolType: group.protocolType ?? '',
          protocolData: stable ? (group.protocolName ?? '') : '',
          authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
          members: [...group.members.values()].map((m) =>
            createDescribeGroupsResponseDescribedGroupMember({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              memberMetadata: stable ? (m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? EMPTY) : EMPTY,
              memberAssignment: stable ? m.assignment : EMPTY,
            }),
          ),
        });
      }),
    });
  },
};
