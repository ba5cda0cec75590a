/**
 * Kafka's client quota entities and what may be set on them (KIP-546's AlterClientQuotas and
 * DescribeClientQuotas semantics), without I/O. An entity names a user, a client id, both, or an
 * IP address; a null name is the default for that type.
 */

export type EntityType = 'user' | 'client-id' | 'ip';
export type QuotaEntity = Partial<Record<EntityType, string | null>>;

/** The quota keys, which entities take them, and whether a value must be whole. */
export const QUOTA_KEYS = {
  producer_byte_rate: { on: 'client', whole: true },
  consumer_byte_rate: { on: 'client', whole: true },
  request_percentage: { on: 'client', whole: false },
  controller_mutation_rate: { on: 'client', whole: false },
  connection_creation_rate: { on: 'ip', whole: true },
} as const;
export type QuotaKey = keyof typeof QUOTA_KEYS;

export const MATCH_EXACT = 0;
export const MATCH_DEFAULT = 1;
export const MATCH_SPECIFIED = 2;

export class QuotaRequestError extends Error {}

const TYPES: readonly string[] = ['user', 'client-id', 'ip'];

/** A stable text key for an entity, whatever order its parts came in. */
export function entityKey(entity: QuotaEntity): string {
  return JSON.stringify(TYPES.filter((t) => t in entity).map((t) => [t, entity[t as EntityType]]));
}

/** Reads an entity from the wire form; throws QuotaRequestError with Kafka's reason when it is not one. */
export function parseEntity(parts: { entityType: string; entityName: string | null }[]): QuotaEntity {
  if (parts.length === 0) throw new QuotaRequestError('Invalid empty client quota entity');
  const entity: QuotaEntity = {};
  for (const { entityType, entityName } of parts) {
    if (!TYPES.includes(entityType)) throw new QuotaRequestError(`Unhandled client quota entity type: ${entityType}`);
    if (entityType in entity) throw new QuotaRequestError(`Invalid client quota entity: ${entityType} is named twice`);
    if (entityName === '') throw new QuotaRequestError(`Empty ${entityType} not supported`);
    entity[entityType as EntityType] = entityName;
  }
  if ('ip' in entity && ('user' in entity || 'client-id' in entity)) throw new QuotaRequestError('An ip entity cannot be combined with user or client-id');
  if (entity.ip && !isIpAddress(entity.ip)) throw new QuotaRequestError(`${entity.ip} is not a valid IP address`);
  return entity;
}

function isIpAddress(text: string): boolean {
  return /^(\d{1,3})(\.\d{1,3}){3}$/.test(text) && text.split('.').every((n) => Number(n) <= 255) || /^[0-9a-f:]+$/i.test(text) && text.includes(':');
}

/** Why `value` cannot be set as `key` on `entity`, or null when it can. */
export function invalidQuotaValue(entity: QuotaEntity, key: string, value: number): string | null {
  const spec = (QUOTA_KEYS as Record<string, { on: string; whole: boolean }>)[key];
  if (!spec || (spec.on === 'ip') !== ('ip' in entity)) return `Invalid configuration key ${key}`;
  if (spec.whole && !Number.isInteger(value)) return `Configuration ${key} must be a Long value`;
  // Kafka accepts zero and below, and then a client can never be served; refusing is kinder.
  if (!(value > 0) || !Number.isFinite(value)) return `Configuration ${key} must be greater than 0, not ${value}`;
  return null;
}

export interface ComponentFilter {
  entityType: string;
  matchType: number;
  match: string | null;
}

/** Which entities a DescribeClientQuotas filter selects, as Kafka selects them. Throws QuotaRequestError for a filter Kafka refuses. */
export function filterEntities(entities: QuotaEntity[], components: ComponentFilter[], strict: boolean): QuotaEntity[] {
  const seen = new Set<string>();
  for (const c of components) {
    if (c.entityType === '') throw new QuotaRequestError('Invalid empty entity type.');
    if (seen.has(c.entityType)) throw new QuotaRequestError(`Entity type ${c.entityType} cannot appear more than once in the filter.`);
    seen.add(c.entityType);
    if (!TYPES.includes(c.entityType)) throw new QuotaRequestError(`Unsupported entity type ${c.entityType}`);
    if (c.matchType === MATCH_EXACT && c.match === null) throw new QuotaRequestError('Request specified MATCH_TYPE_EXACT, but set match string to null.');
    if (c.matchType === MATCH_DEFAULT && c.match !== null) throw new QuotaRequestError('Request specified MATCH_TYPE_DEFAULT, but also specified a match string.');
    if (c.matchType === MATCH_SPECIFIED && c.match !== null) throw new QuotaRequestError('Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.');
    if (![MATCH_EXACT, MATCH_DEFAULT, MATCH_SPECIFIED].includes(c.matchType)) throw new QuotaRequestError(`Unknown match type ${c.matchType}`);
  }
  if (seen.has('ip') && (seen.has('user') || seen.has('client-id'))) {
    throw new QuotaRequestError('Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.');
  }
  // With no components, a loose filter lists everything and a strict one nothing.
  if (components.length === 0) return strict ? [] : entities;
  return entities.filter((entity) => {
    if (strict && Object.keys(entity).length !== components.length) return false;
    return components.every((c) => {
      if (!(c.entityType in entity)) return false;
      const name = entity[c.entityType as EntityType];
      if (c.matchType === MATCH_EXACT) return name === c.match;
      if (c.matchType === MATCH_DEFAULT) return name === null;
      return name !== null;
    });
  });
}

/**
 * The entities a client's quota is looked up in, most specific first (Kafka's order): user and
 * client id, user and any client, user, any user and client id, any user and any client, any user,
 * client id, any client. The first that sets a key decides it.
 */
export function lookupOrder(user: string, clientId: string): QuotaEntity[] {
  return [
    { user, 'client-id': clientId }, { user, 'client-id': null }, { user },
    { user: null, 'client-id': clientId }, { user: null, 'client-id': null }, { user: null },
    { 'client-id': clientId }, { 'client-id': null },
  ];
}
