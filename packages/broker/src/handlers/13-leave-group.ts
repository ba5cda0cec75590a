import {
  ApiKey, createLeaveGroupResponse, createLeaveGroupResponseMemberResponse, ErrorCode, type LeaveGroupRequest,
  type LeaveGroupResponse,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canGroup } from '../security/authorizer.ts';

export const leaveGroupHandler: Handler<LeaveGroupRequest, LeaveGroupResponse> = {
  apiKey: ApiKey.LeaveGroup,
  versions: { min: 0, max: 5 },
  handle(ctx, request) {
    if (!canGroup(ctx, request.groupId, AclOperation.READ)) return createLeaveGroupResponse({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
    const coordinator = ctx.broker.groups.errorFor(request.groupId);
    if (coordinator !== ErrorCode.NONE) return createLeaveGroupResponse({ errorCode: coordinator });
    const group = ctx.broker.groups.group(request.groupId);
    // v3 leaves a batch of members (static members by instance id); earlier versions one member id.
    const leaving = ctx.apiVersion >= 3 ? request.members : [{ memberId: request.memberId, groupInstanceId: null }];
    const members = leaving.map((m) =>
      createLeaveGroupResponseMemberResponse({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        errorCode: group ? group.leave(m.memberId, m.groupInstanceId) : ErrorCode.UNKNOWN_MEMBER_ID,
      }),
    );
    if (ctx.apiVersion >= 3) return createLeaveGroupResponse({ members });
    return createLeaveGroupResponse({ errorCode: members[0].errorCode });
  },
};
