import {
  ApiKey, createDeleteAclsResponse, createDeleteAclsResponseDeleteAclsFilterResult, createDeleteAclsResponseDeleteAclsMatchingAcl,
  type DeleteAclsRequest, type DeleteAclsResponse, ErrorCode,
} from '@millrace/protocol';
import { AclOperation, ResourceType } from '@millrace/security';
import type { Handler } from '../handler.ts';
import { allowed, CLUSTER_RESOURCE } from '../security/authorizer.ts';

/** Removes the bindings each filter matches and lists them, durably before the answer. */
export const deleteAclsHandler: Handler<DeleteAclsRequest, DeleteAclsResponse> = {
  apiKey: ApiKey.DeleteAcls,
  versions: { min: 0, max: 3 },
  async handle(ctx, request) {
    const security = ctx.broker.security;
    const refuse = (errorCode: number, errorMessage: string) => createDeleteAclsResponse({
      filterResults: request.filters.map(() => createDeleteAclsResponseDeleteAclsFilterResult({ errorCode, errorMessage })),
    });
    if (!security.authorizer) return refuse(ErrorCode.SECURITY_DISABLED, 'No authorizer is configured (authorizer.class.name)');
    if (!allowed(ctx, ResourceType.CLUSTER, CLUSTER_RESOURCE, AclOperation.ALTER)) return refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'ALTER on the cluster is needed to delete ACLs');
    const removed = await security.acls.delete(request.filters.map((f) => ({
      resourceType: f.resourceTypeFilter, resourceName: f.resourceNameFilter, patternType: f.patternTypeFilter,
      principal: f.principalFilter, host: f.hostFilter, operation: f.operation, permissionType: f.permissionType,
    })));
    return createDeleteAclsResponse({
      filterResults: removed.map((bindings) => createDeleteAclsResponseDeleteAclsFilterResult({
        errorMessage: null,
        matchingAcls: bindings.map((b) => createDeleteAclsResponseDeleteAclsMatchingAcl({
          errorMessage: null, resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType,
          principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType,
        })),
      })),
    });
  },
};
