import { ApiKey, createSyncGroupResponse, EMPTY, ErrorCode, type SyncGroupRequest, type SyncGroupResponse } from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canGroup } from '../security/authorizer.ts';

export const syncGroupHandler: Handler<SyncGroupRequest, SyncGroupResponse> = {
  apiKey: ApiKey.SyncGroup,
  versions: { min: 0, max: 5 },
  handle(ctx, request) {
    const group = ctx.broker.groups.group(request.groupId);
    if (request.groupId === '') return createSyncGroupResponse({ errorCode: ErrorCode.INVALID_GROUP_ID, assignment: EMPTY });
    if (!canGroup(ctx, request.groupId, AclOperation.READ)) return createSyncGroupResponse({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, assignment: EMPTY });
    const coordinator = ctx.broker.groups.errorFor(request.groupId);
    if (coordinator !== ErrorCode.NONE) return createSyncGroupResponse({ errorCode: coordinator, assignment: EMPTY });
    if (!group) return createSyncGroupResponse({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    // v5 names the protocol the member thinks was chosen: it must be the group's.
    if ((request.protocolType !== null && request.protocolType !== group.protocolType) || (request.protocolName !== null && request.protocolName !== group.protocolName)) {
      return createSyncGroupResponse({ errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, assignment: EMPTY });
    }
    return new Promise((resolve) => {
      group.sync(
        request.memberId,
        request.groupInstanceId,
        request.generationId,
        request.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
        (result) => resolve(createSyncGroupResponse(result)),
      );
    });
  },
};
