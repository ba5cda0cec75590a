import {
  ApiKey, createDescribeAclsResponse, createDescribeAclsResponseAclDescription, createDescribeAclsResponseDescribeAclsResource,
  type DescribeAclsRequest, type DescribeAclsResponse, ErrorCode,
} from '@millrace/protocol';
import { AclOperation, type AclBinding, ResourceType } from '@millrace/security';
import type { Handler } from '../handler.ts';
import { allowed, CLUSTER_RESOURCE } from '../security/authorizer.ts';

/** The bindings a filter matches, grouped by resource (type, name, pattern) as Kafka answers them. */
export const describeAclsHandler: Handler<DescribeAclsRequest, DescribeAclsResponse> = {
  apiKey: ApiKey.DescribeAcls,
  versions: { min: 0, max: 3 },
  handle(ctx, request) {
    const security = ctx.broker.security;
    if (!security.authorizer) return createDescribeAclsResponse({ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No authorizer is configured (authorizer.class.name)' });
    if (!allowed(ctx, ResourceType.CLUSTER, CLUSTER_RESOURCE, AclOperation.DESCRIBE)) {
      return createDescribeAclsResponse({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'DESCRIBE on the cluster is needed to describe ACLs' });
    }
    const matching = security.acls.describe({
      resourceType: request.resourceTypeFilter, resourceName: request.resourceNameFilter, patternType: request.patternTypeFilter,
      principal: request.principalFilter, host: request.hostFilter, operation: request.operation, permissionType: request.permissionType,
    });
    const byResource = new Map<string, AclBinding[]>();
    for (const b of matching) {
      const key = JSON.stringify([b.resourceType, b.resourceName, b.patternType]);
      byResource.set(key, [...(byResource.get(key) ?? []), b]);
    }
    return createDescribeAclsResponse({
      errorMessage: null,
      resources: [...byResource.values()].map((acls) => createDescribeAclsResponseDescribeAclsResource({
        resourceType: acls[0].resourceType, resourceName: acls[0].resourceName, patternType: acls[0].patternType,
        acls: acls.map((b) => createDescribeAclsResponseAclDescription({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType })),
      })),
    });
  },
};
