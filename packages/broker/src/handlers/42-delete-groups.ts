import {
  ApiKey, createDeleteGroupsResponse, createDeleteGroupsResponseDeletableGroupResult, type DeleteGroupsRequest,
  type DeleteGroupsResponse, ErrorCode,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canGroup } from '../security/authorizer.ts';
import { coordinatorOrStorageErrorCode } from '../storage-errors.ts';

export const deleteGroupsHandler: Handler<DeleteGroupsRequest, DeleteGroupsResponse> = {
  apiKey: ApiKey.DeleteGroups,
  versions: { min: 0, max: 2 },
  async handle(ctx, request) {
    const coordinator = ctx.broker.groups;
    const results = [];
    for (const groupId of request.groupsNames) {
      let errorCode: number = ErrorCode.NONE;
      if (groupId === '') errorCode = ErrorCode.INVALID_GROUP_ID;
      else if (!canGroup(ctx, groupId, AclOperation.DELETE)) errorCode = ErrorCode.GROUP_AUTHORIZATION_FAILED;
      else if (coordinator.errorFor(groupId) !== ErrorCode.NONE) errorCode = coordinator.errorFor(groupId);
      else if (!coordinator.groupIds().includes(groupId)) errorCode = ErrorCode.GROUP_ID_NOT_FOUND;
      else if ((coordinator.group(groupId)?.members.size ?? 0) > 0) errorCode = ErrorCode.NON_EMPTY_GROUP;
      else {
        try {
          await coordinator.offsets.delete(groupId, coordinator.offsets.committed(groupId), ctx.broker.now());
          await coordinator.forget(groupId);
        } catch (err) {
          errorCode = coordinatorOrStorageErrorCode(err, ctx.broker.log);
        }
      }
      results.push(createDeleteGroupsResponseDeletableGroupResult({ groupId, errorCode }));
    }
    return createDeleteGroupsResponse({ results });
  },
};
