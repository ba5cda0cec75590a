import { ApiKey, createHeartbeatResponse, ErrorCode, type HeartbeatRequest, type HeartbeatResponse } from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canGroup } from '../security/authorizer.ts';

export const heartbeatHandler: Handler<HeartbeatRequest, HeartbeatResponse> = {
  apiKey: ApiKey.Heartbeat,
  versions: { min: 0, max: 4 },
  handle(ctx, request) {
    if (!canGroup(ctx, request.groupId, AclOperation.READ)) return createHeartbeatResponse({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
    const coordinator = ctx.broker.groups.errorFor(request.groupId);
    if (coordinator !== ErrorCode.NONE) return createHeartbeatResponse({ errorCode: coordinator });
    const group = ctx.broker.groups.group(request.groupId);
    const errorCode = group ? group.heartbeat(request.memberId, request.groupInstanceId, request.generationId) : ErrorCode.UNKNOWN_MEMBER_ID;
    return createHeartbeatResponse({ errorCode });
  },
};
