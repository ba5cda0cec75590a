import { ApiKey, type CreateAclsRequest, type CreateAclsResponse, createCreateAclsResponse, createCreateAclsResponseAclCreationResult, ErrorCode } from '@millrace/protocol';
import { AclOperation, type AclBinding, invalidBinding, ResourceType } from '@millrace/security';
import type { Handler } from '../handler.ts';
import { allowed, CLUSTER_RESOURCE } from '../security/authorizer.ts';

/** Stores ACL bindings, durably before the answer; each invalid one is refused on its own with the reason. */
export const createAclsHandler: Handler<CreateAclsRequest, CreateAclsResponse> = {
  apiKey: ApiKey.CreateAcls,
  versions: { min: 0, max: 3 },
  async handle(ctx, request) {
    const security = ctx.broker.security;
    const refuse = (errorCode: number, errorMessage: string) => createCreateAclsResponse({
      results: request.creations.map(() => createCreateAclsResponseAclCreationResult({ errorCode, errorMessage })),
    });
    if (!security.authorizer) return refuse(ErrorCode.SECURITY_DISABLED, 'No authorizer is configured (authorizer.class.name)');
    if (!allowed(ctx, ResourceType.CLUSTER, CLUSTER_RESOURCE, AclOperation.ALTER)) return refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'ALTER on the cluster is needed to create ACLs');
    const bindings: AclBinding[] = request.creations.map((c) => ({
      resourceType: c.resourceType, resourceName: c.resourceName, patternType: c.resourcePatternType,
      principal: c.principal, host: c.host, operation: c.operation, permissionType: c.permissionType,
    }));
    const problems = bindings.map(invalidBinding);
    await security.acls.create(bindings.filter((_, i) => problems[i] === null));
    return createCreateAclsResponse({
      results: problems.map((problem) => createCreateAclsResponseAclCreationResult(problem === null
        ? { errorCode: ErrorCode.NONE, errorMessage: null }
        : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem })),
    });
  },
};
