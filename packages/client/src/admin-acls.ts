import {
  ApiKey, type CreateAclsResponse, createCreateAclsRequest, createCreateAclsRequestAclCreation, createDeleteAclsRequest, createDeleteAclsRequestDeleteAclsFilter,
  createDescribeAclsRequest, type DeleteAclsResponse, type DescribeAclsResponse, ErrorCode,
} from '@millrace/protocol';
import type { AclBinding, AclFilter } from '@millrace/security';
import type { Cluster } from './cluster.ts';
import { KafkaError } from './errors.ts';
import { throwFailures } from './admin-util.ts';

// v1 is the first with pattern types (prefixed names); v2+ are flexible.
const VERSIONS = [1, 3] as const;

/** Creates ACL bindings; each refused one is a KafkaError (INVALID_REQUEST with the reason, CLUSTER_AUTHORIZATION_FAILED, SECURITY_DISABLED). */
export async function createAcls(cluster: Cluster, bindings: AclBinding[]): Promise<void> {
  const { response } = await cluster.send<CreateAclsResponse>(null, ApiKey.CreateAcls, VERSIONS, () => createCreateAclsRequest({
    creations: bindings.map((b) => createCreateAclsRequestAclCreation({
      resourceType: b.resourceType, resourceName: b.resourceName, resourcePatternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType,
    })),
  }));
  throwFailures('CreateAcls', response.results.filter((r) => r.errorCode !== ErrorCode.NONE).map((r) => new KafkaError(r.errorCode, { api: 'CreateAcls', message: r.errorMessage })));
}

/** The bindings a filter matches. */
export async function describeAcls(cluster: Cluster, filter: AclFilter): Promise<AclBinding[]> {
  const { response } = await cluster.retrying(() => cluster.send<DescribeAclsResponse>(null, ApiKey.DescribeAcls, VERSIONS, () => createDescribeAclsRequest({
    resourceTypeFilter: filter.resourceType, resourceNameFilter: filter.resourceName, patternTypeFilter: filter.patternType,
    principalFilter: filter.principal, hostFilter: filter.host, operation: filter.operation, permissionType: filter.permissionType,
  })));
  if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, { api: 'DescribeAcls', message: response.errorMessage });
  return response.resources.flatMap((r) => r.acls.map((a) => ({
    resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType,
  })));
}

/** Deletes what each filter matches; resolves with the deleted bindings. */
export async function deleteAcls(cluster: Cluster, filters: AclFilter[]): Promise<AclBinding[]> {
  const { response } = await cluster.send<DeleteAclsResponse>(null, ApiKey.DeleteAcls, VERSIONS, () => createDeleteAclsRequest({
    filters: filters.map((f) => createDeleteAclsRequestDeleteAclsFilter({
      resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType,
      principalFilter: f.principal, hostFilter: f.host, operation: f.operation, permissionType: f.permissionType,
    })),
  }));
  throwFailures('DeleteAcls', response.filterResults.filter((r) => r.errorCode !== ErrorCode.NONE).map((r) => new KafkaError(r.errorCode, { api: 'DeleteAcls', message: r.errorMessage })));
  return response.filterResults.flatMap((r) => r.matchingAcls.map((m) => ({
    resourceType: m.resourceType, resourceName: m.resourceName, patternType: m.patternType, principal: m.principal, host: m.host, operation: m.operation, permissionType: m.permissionType,
  })));
}
