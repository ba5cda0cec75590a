import {
  type AlterClientQuotasResponse, ApiKey, createAlterClientQuotasRequest, createAlterClientQuotasRequestEntityData, createAlterClientQuotasRequestEntryData,
  createAlterClientQuotasRequestOpData, createDescribeClientQuotasRequest, createDescribeClientQuotasRequestComponentData, type DescribeClientQuotasResponse, ErrorCode,
} from '@millrace/protocol';
import type { Cluster } from './cluster.ts';
import { KafkaError } from './errors.ts';
import { throwFailures } from './admin-util.ts';

const VERSIONS = [0, 1] as const;

/** Who a quota is for, by Kafka's entity types; a null name is that type's default. */
export type ClientQuotaEntity = Partial<Record<'user' | 'client-id' | 'ip', string | null>>;

/** One part of a DescribeClientQuotas filter: a name matches exactly, null matches the default, undefined any named entity. */
export interface ClientQuotaFilterComponent {
  entityType: 'user' | 'client-id' | 'ip';
  match?: string | null;
}

export interface ClientQuotaAlteration {
  entity: ClientQuotaEntity;
  /** Quota keys to set: producer_byte_rate, consumer_byte_rate, request_percentage, controller_mutation_rate; connection_creation_rate on an ip. */
  set?: Record<string, number>;
  remove?: string[];
}

const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const MATCH_SPECIFIED = 2;

const describeEntity = (entity: ClientQuotaEntity) => Object.entries(entity).map(([type, name]) => `${type}=${name ?? '<default>'}`).join(', ');

/** The quotas of the entities a filter selects (all of them with no components); `strict` leaves out entities with other parts. */
export async function describeClientQuotas(cluster: Cluster, components: ClientQuotaFilterComponent[] = [], strict = false): Promise<{ entity: ClientQuotaEntity; values: Record<string, number> }[]> {
  const { response } = await cluster.retrying(() => cluster.send<DescribeClientQuotasResponse>(null, ApiKey.DescribeClientQuotas, VERSIONS, () => createDescribeClientQuotasRequest({
    strict,
    components: components.map((c) => createDescribeClientQuotasRequestComponentData({
      entityType: c.entityType,
      matchType: c.match === undefined ? MATCH_SPECIFIED : c.match === null ? MATCH_DEFAULT : MATCH_EXACT,
      match: c.match ?? null,
    })),
  })));
  if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, { api: 'DescribeClientQuotas', message: response.errorMessage });
  return (response.entries ?? []).map((e) => ({
    entity: Object.fromEntries(e.entity.map((p) => [p.entityType, p.entityName])) as ClientQuotaEntity,
    values: Object.fromEntries(e.values.map((v) => [v.key, v.value])),
  }));
}

/** Sets and removes quotas; each entity the broker refuses is a KafkaError naming it (INVALID_REQUEST with the reason, CLUSTER_AUTHORIZATION_FAILED). */
export async function alterClientQuotas(cluster: Cluster, alterations: ClientQuotaAlteration[], validateOnly = false): Promise<void> {
  const { response } = await cluster.send<AlterClientQuotasResponse>(null, ApiKey.AlterClientQuotas, VERSIONS, () => createAlterClientQuotasRequest({
    validateOnly,
    entries: alterations.map((a) => createAlterClientQuotasRequestEntryData({
      entity: Object.entries(a.entity).map(([entityType, entityName]) => createAlterClientQuotasRequestEntityData({ entityType, entityName: entityName ?? null })),
      ops: [
        ...Object.entries(a.set ?? {}).map(([key, value]) => createAlterClientQuotasRequestOpData({ key, value, remove: false })),
        ...(a.remove ?? []).map((key) => createAlterClientQuotasRequestOpData({ key, value: 0, remove: true })),
      ],
    })),
  }));
  throwFailures('AlterClientQuotas', response.entries.flatMap((r, i) => (r.errorCode === ErrorCode.NONE ? [] : [
    new KafkaError(r.errorCode, { api: 'AlterClientQuotas', message: `${describeEntity(alterations[i].entity)}: ${r.errorMessage ?? ''}` }),
  ])));
}
