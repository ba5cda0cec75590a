import type { KafkaPrincipal } from './principal.ts';

/** Kafka's resource types, operations, pattern and permission types, with their wire codes. */
export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const AclOperation = {
  UNKNOWN: 0, ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12, CREATE_TOKENS: 13, DESCRIBE_TOKENS: 14,
} as const;
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const PermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** The literal resource name that matches every resource of its type, and the principal and host that match everyone. */
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

/** One ACL binding: who (principal, host) may or may not do what (operation) on which resources (type, name, pattern). */
export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** What DescribeAcls and DeleteAcls match bindings with; null fields match anything. */
export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

/** Names by code, for messages and the CLI. */
export const nameOf = (table: Record<string, number>, code: number): string => Object.entries(table).find(([, c]) => c === code)?.[0] ?? String(code);

/**
 * Operations an ALLOW grants beyond itself, as Kafka's authorizer implies them: READ, WRITE, DELETE
 * and ALTER each imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS. (A DENY implies nothing more.)
 */
const IMPLIED_BY: Partial<Record<number, number[]>> = {
  [AclOperation.DESCRIBE]: [AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER],
  [AclOperation.DESCRIBE_CONFIGS]: [AclOperation.ALTER_CONFIGS],
};

/** Whether a binding of its type applies to the resource `name`. */
export function bindingMatchesResource(b: AclBinding, name: string): boolean {
  if (b.patternType === PatternType.PREFIXED) return name.startsWith(b.resourceName);
  return b.resourceName === WILDCARD || b.resourceName === name;
}

/** A binding that cannot be stored: a wildcard or unknown code, an empty name, a principal without a type. */
export function invalidBinding(b: AclBinding): string | null {
  if (!Object.values(ResourceType).includes(b.resourceType as never) || b.resourceType === ResourceType.ANY || b.resourceType === ResourceType.UNKNOWN) return `resource type ${b.resourceType} cannot be bound`;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `pattern type ${nameOf(PatternType, b.patternType)} cannot be bound (LITERAL or PREFIXED)`;
  if (b.operation <= AclOperation.ANY || b.operation > AclOperation.DESCRIBE_TOKENS) return `operation ${nameOf(AclOperation, b.operation)} cannot be bound`;
  if (b.permissionType !== PermissionType.ALLOW && b.permissionType !== PermissionType.DENY) return `permission type ${nameOf(PermissionType, b.permissionType)} cannot be bound (ALLOW or DENY)`;
  if (b.resourceName === '') return 'the resource name is empty';
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== 'kafka-cluster') return 'a CLUSTER resource is named kafka-cluster';
  if (!/^[^:]+:.+$/.test(b.principal)) return `principal "${b.principal}" is not of the form User:name`;
  if (b.host === '') return 'the host is empty (use * for any host)';
  return null;
}

/** Whether a filter matches a stored binding (DescribeAcls, DeleteAcls): ANY and null match anything, MATCH also matches the bindings that would apply to the name. */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false;
  if (f.permissionType !== PermissionType.ANY && f.permissionType !== b.permissionType) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.patternType === PatternType.MATCH) return f.resourceName === null || bindingMatchesResource(b, f.resourceName);
  if (f.patternType !== PatternType.ANY && f.patternType !== b.patternType) return false;
  return f.resourceName === null || f.resourceName === b.resourceName;
}

export interface AuthorizerSettings {
  superUsers: Set<string>;
  allowEveryoneIfNoAclFound: boolean;
}

/**
 * Kafka's ACL decision for one action: super users may do anything; a resource no binding applies
 * to is open only with allow.everyone.if.no.acl.found; otherwise a matching DENY wins, then a
 * matching ALLOW (of the operation, ALL, or one that implies it) allows, and anything else is denied.
 */
export function authorize(bindings: Iterable<AclBinding>, settings: AuthorizerSettings, who: { principal: KafkaPrincipal; host: string }, resourceType: number, resourceName: string, operation: number): boolean {
  const principal = `${who.principal.type}:${who.principal.name}`;
  if (settings.superUsers.has(principal)) return true;
  let anyForResource = false;
  let allowed = false;
  const implied = IMPLIED_BY[operation] ?? [];
  for (const b of bindings) {
    if (b.resourceType !== resourceType || !bindingMatchesResource(b, resourceName)) continue;
    anyForResource = true;
    if (b.principal !== principal && b.principal !== WILDCARD_PRINCIPAL) continue;
    if (b.host !== WILDCARD && b.host !== who.host) continue;
    if (b.permissionType === PermissionType.DENY) {
      if (b.operation === operation || b.operation === AclOperation.ALL) return false;
    } else if (b.operation === operation || b.operation === AclOperation.ALL || implied.includes(b.operation)) {
      allowed = true;
    }
  }
  return anyForResource ? allowed : settings.allowEveryoneIfNoAclFound;
}
