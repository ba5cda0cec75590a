import {
  ApiKey, createJoinGroupResponse, createJoinGroupResponseJoinGroupResponseMember, ErrorCode, type JoinGroupRequest,
  type JoinGroupResponse,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canGroup } from '../security/authorizer.ts';
import type { JoinResult } from '../group/members.ts';

function response(version: number, result: JoinResult): JoinGroupResponse {
  return createJoinGroupResponse({
    errorCode: result.errorCode,
    generationId: result.generationId,
    protocolType: result.protocolType,
    // Null only exists from v7 on; earlier versions carry an empty name.
    protocolName: version >= 7 ? result.protocolName : (result.protocolName ?? ''),
    leader: result.leader,
    memberId: result.memberId,
    members: result.members.map((m) => createJoinGroupResponseJoinGroupResponseMember(m)),
  });
}

export const joinGroupHandler: Handler<JoinGroupRequest, JoinGroupResponse> = {
  apiKey: ApiKey.JoinGroup,
  // v9 adds skip_assignment for static leaders (KIP-814), which this coordinator does not signal yet.
  versions: { min: 0, max: 8 },
  handle(ctx, request) {
    const v = ctx.apiVersion;
    const groups = ctx.broker.groups;
    const fail = (errorCode: number) => response(v, { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: request.memberId, members: [] });
    if (request.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    if (!canGroup(ctx, request.groupId, AclOperation.READ)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const coordinator = groups.errorFor(request.groupId);
    if (coordinator !== ErrorCode.NONE) return fail(coordinator);
    const { minSessionTimeoutMs, maxSessionTimeoutMs } = groups.settings;
    if (request.sessionTimeoutMs < minSessionTimeoutMs || request.sessionTimeoutMs > maxSessionTimeoutMs) return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    const group = groups.groupOrCreate(request.groupId);
    return new Promise((resolve) => {
      group.join(
        {
          memberId: request.memberId,
          groupInstanceId: request.groupInstanceId,
          clientId: ctx.clientId ?? '',
          clientHost: ctx.clientHost,
          sessionTimeoutMs: request.sessionTimeoutMs,
          // v0 has no rebalance timeout: Kafka uses the session timeout.
          rebalanceTimeoutMs: v >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
          protocolType: request.protocolType,
          protocols: request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
          requireKnownMemberId: v >= 4,
        },
        (result) => resolve(response(v, result)),
      );
    });
  },
};
