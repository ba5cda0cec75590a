import {
  type AclBinding, AclOperation, authorize, type AuthorizerSettings, parsePrincipal, PermissionType, principalString, ResourceType, WILDCARD, WILDCARD_PRINCIPAL,
} from '@millrace/security';
import { ErrorCode } from '@millrace/protocol';
import { ConfigError, type BrokerConfig } from '../config/broker-config.ts';
import { ResourceType as ConfigResourceType } from '../config/resource-types.ts';
import type { RequestContext } from '../handler.ts';
import type { AclStore } from './acl-store.ts';

/** The authorizer class names of Kafka's own ACL authorizers, which Millrace's stands in for. */
export const AUTHORIZER_CLASS_NAMES = [
  'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'kafka.security.authorizer.AclAuthorizer',
  'kafka.security.auth.SimpleAclAuthorizer',
];

/** authorizer.class.name, super.users and allow.everyone.if.no.acl.found; null when no authorizer is set (everything is allowed). */
export function authorizerSettings(config: BrokerConfig): AuthorizerSettings | null {
  const className = config.values['authorizer.class.name'];
  if (!className) return null;
  if (!AUTHORIZER_CLASS_NAMES.includes(className)) throw new ConfigError(`authorizer.class.name "${className}" is not one Millrace has: use ${AUTHORIZER_CLASS_NAMES[0]}`);
  const superUsers = new Set(config.values['super.users'].split(';').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
    try {
      return principalString(parsePrincipal(s));
    } catch (err) {
      throw new ConfigError(`super.users: ${(err as Error).message}`);
    }
  }));
  return { superUsers, allowEveryoneIfNoAclFound: config.values['allow.everyone.if.no.acl.found'] === 'true' };
}

/** The ACL decision for the principal on a request's connection: always yes without an authorizer. */
export function allowed(ctx: RequestContext, resourceType: number, resourceName: string, operation: number): boolean {
  const { authorizer, acls } = ctx.broker.security;
  if (!authorizer) return true;
  return authorize(acls.all() as AclBinding[], authorizer, { principal: ctx.session.principal, host: ctx.clientHost.replace(/^\//, '') }, resourceType, resourceName, operation);
}

export const CLUSTER_RESOURCE = 'kafka-cluster';

export type { AclStore };

export const canTopic = (ctx: RequestContext, topic: string, operation: number) => allowed(ctx, ResourceType.TOPIC, topic, operation);
export const canGroup = (ctx: RequestContext, group: string, operation: number) => allowed(ctx, ResourceType.GROUP, group, operation);
export const canCluster = (ctx: RequestContext, operation: number) => allowed(ctx, ResourceType.CLUSTER, CLUSTER_RESOURCE, operation);
export const canTransactionalId = (ctx: RequestContext, id: string, operation: number) => allowed(ctx, ResourceType.TRANSACTIONAL_ID, id, operation);

/** Whether a config resource (DescribeConfigs, AlterConfigs) may be read or changed: a topic's configs on the topic, a broker's on the cluster. */
export function configAuthorization(ctx: RequestContext, configResourceType: number, name: string, operation: number): number {
  if (configResourceType === ConfigResourceType.TOPIC) return canTopic(ctx, name, operation) ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  return canCluster(ctx, operation) ? ErrorCode.NONE : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
}

/**
 * Whether an idempotent producer may get a producer id: IDEMPOTENT_WRITE on the cluster, or (as
 * Kafka 3 allows) an ALLOW of WRITE on some topic for this principal and host.
 */
export function mayProduceIdempotently(ctx: RequestContext): boolean {
  const { authorizer, acls } = ctx.broker.security;
  if (!authorizer || canCluster(ctx, AclOperation.IDEMPOTENT_WRITE)) return true;
  const principal = principalString(ctx.session.principal);
  const host = ctx.clientHost.replace(/^\//, '');
  return acls.all().some((b) => b.resourceType === ResourceType.TOPIC && b.permissionType === PermissionType.ALLOW
    && (b.operation === AclOperation.WRITE || b.operation === AclOperation.ALL)
    && (b.principal === principal || b.principal === WILDCARD_PRINCIPAL) && (b.host === WILDCARD || b.host === host));
}
