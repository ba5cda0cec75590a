import {
  ApiKey, createDescribeConfigsRequest, createDescribeConfigsRequestDescribeConfigsResource, createIncrementalAlterConfigsRequest,
  createIncrementalAlterConfigsRequestAlterableConfig, createIncrementalAlterConfigsRequestAlterConfigsResource, type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResourceResult, ErrorCode, type IncrementalAlterConfigsResponse,
} from '@millrace/protocol';
import { allOrThrow, groupBy, invalid, requireName, throwFailures } from './admin-util.ts';
import type { Cluster } from './cluster.ts';
import { KafkaError } from './errors.ts';

/** v1+ has each config's source and its synonyms (v0 only says whether it is a default). */
const DESCRIBE_CONFIGS_VERSIONS = [1, 4] as const;
const INCREMENTAL_ALTER_CONFIGS_VERSIONS = [0, 1] as const;

export type ConfigResourceType = 'topic' | 'broker';
const RESOURCE_TYPES: Record<ConfigResourceType, number> = { topic: 2, broker: 4 };

/** Where a config's value comes from (Kafka's ConfigSource names), most specific first. */
export type ConfigSource =
  | 'UNKNOWN' | 'DYNAMIC_TOPIC_CONFIG' | 'DYNAMIC_BROKER_CONFIG' | 'DYNAMIC_DEFAULT_BROKER_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG'
  | 'DYNAMIC_BROKER_LOGGER_CONFIG' | 'CLIENT_METRICS_CONFIG' | 'GROUP_CONFIG';
const SOURCES: readonly ConfigSource[] = ['UNKNOWN', 'DYNAMIC_TOPIC_CONFIG', 'DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG', 'DYNAMIC_BROKER_LOGGER_CONFIG', 'CLIENT_METRICS_CONFIG', 'GROUP_CONFIG'];
const DEFAULT_CONFIG = 5;

export interface ConfigResource {
  type: ConfigResourceType;
  /** A topic name, or a broker's node id ('' for whichever broker answers). */
  name: string;
  /** Only these configs; default all. */
  keys?: string[];
}

export interface ConfigEntry {
  name: string;
  /** Null for sensitive values. */
  value: string | null;
  source: ConfigSource;
  isDefault: boolean;
  isSensitive: boolean;
  readOnly: boolean;
  /** Where the value would come from without each more specific source (asked with `synonyms: true`). */
  synonyms?: { name: string; value: string | null; source: ConfigSource }[];
}

export interface ResourceConfigs {
  type: ConfigResourceType;
  name: string;
  /** By config name. */
  configs: Record<string, ConfigEntry>;
}

export interface AlterConfigResource {
  type: ConfigResourceType;
  name: string;
  set?: Record<string, string>;
  /** Configs to return to their default. */
  delete?: string[];
  /** Items to add to list configs (comma-separated). */
  append?: Record<string, string>;
  /** Items to remove from list configs (comma-separated). */
  subtract?: Record<string, string>;
}

const Op = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

function resourceType(type: ConfigResourceType): number {
  const code = RESOURCE_TYPES[type];
  if (code === undefined) throw invalid(`config resource type must be 'topic' or 'broker', not '${String(type)}'`);
  return code;
}

/** Broker resources go to that broker (Kafka answers only for itself); topics to any. */
function destination(r: { type: ConfigResourceType; name: string }): number | null {
  if (r.type !== 'broker' || r.name === '') return null;
  if (!/^\d+$/.test(r.name)) throw invalid(`a broker config resource is named by its node id, not '${r.name}'`);
  return Number(r.name);
}

/** Sends to each destination its share of `resources`; brokers must be known to the cluster by address first. */
async function perDestination<R extends { type: ConfigResourceType; name: string }, T>(cluster: Cluster, api: string, resources: R[], send: (node: number | null, rs: R[]) => Promise<T[]>): Promise<T[]> {
  for (const r of resources) {
    resourceType(r.type);
    if (r.type === 'topic') requireName(r.name, 'topic');
  }
  const groups = groupBy(resources, destination);
  if ([...groups.keys()].some((node) => node !== null)) await cluster.refresh([]);
  return (await allOrThrow(api, [...groups].map(([node, rs]) => send(node, rs)))).flat();
}

function resourceError(api: string, type: ConfigResourceType, name: string, code: number, message: string | null): KafkaError {
  return type === 'topic' ? new KafkaError(code, { api, topic: name, message }) : new KafkaError(code, { api, message: `broker '${name}'${message ? `: ${message}` : ''}` });
}

function entry(c: DescribeConfigsResponseDescribeConfigsResourceResult, synonyms: boolean): ConfigEntry {
  const e: ConfigEntry = { name: c.name, value: c.value, source: SOURCES[c.configSource] ?? 'UNKNOWN', isDefault: c.configSource === DEFAULT_CONFIG, isSensitive: c.isSensitive, readOnly: c.readOnly };
  if (synonyms) e.synonyms = c.synonyms.map((s) => ({ name: s.name, value: s.value, source: SOURCES[s.source] ?? 'UNKNOWN' }));
  return e;
}

export async function describeConfigs(cluster: Cluster, resources: ConfigResource[], options: { synonyms?: boolean } = {}): Promise<ResourceConfigs[]> {
  const synonyms = options.synonyms ?? false;
  const described = await perDestination(cluster, 'DescribeConfigs', resources, async (node, rs) => {
    const ask = () => cluster.send<DescribeConfigsResponse>(node, ApiKey.DescribeConfigs, DESCRIBE_CONFIGS_VERSIONS, () =>
      createDescribeConfigsRequest({
        includeSynonyms: synonyms,
        resources: rs.map((r) => createDescribeConfigsRequestDescribeConfigsResource({ resourceType: resourceType(r.type), resourceName: r.name, configurationKeys: r.keys ?? null })),
      }));
    // A broker named by id is not retried: an id that is not in the cluster fails at once.
    const { response } = await (node === null ? cluster.retrying(ask) : ask());
    return rs.map((r) => ({ r, result: response.results.find((x) => x.resourceType === resourceType(r.type) && x.resourceName === r.name) }));
  });
  throwFailures('DescribeConfigs', described.filter(({ result }) => !result || result.errorCode !== ErrorCode.NONE).map(({ r, result }) =>
    resourceError('DescribeConfigs', r.type, r.name, result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, result?.errorMessage ?? null)));
  const byResource = new Map(described.map(({ r, result }) => [r, result]));
  return resources.map((r) => ({ type: r.type, name: r.name, configs: Object.fromEntries(byResource.get(r)!.configs.map((c) => [c.name, entry(c, synonyms)])) }));
}

function operations(r: AlterConfigResource): ReturnType<typeof createIncrementalAlterConfigsRequestAlterableConfig>[] {
  const op = (configOperation: number) => ([name, value]: [string, string | null]) => createIncrementalAlterConfigsRequestAlterableConfig({ name, configOperation, value });
  return [
    ...Object.entries(r.set ?? {}).map(op(Op.SET)),
    ...(r.delete ?? []).map((name) => op(Op.DELETE)([name, null])),
    ...Object.entries(r.append ?? {}).map(op(Op.APPEND)),
    ...Object.entries(r.subtract ?? {}).map(op(Op.SUBTRACT)),
  ];
}

/** Changes some configs of each resource, leaving the others as they are. Each resource's changes apply all or none. */
export async function incrementalAlterConfigs(cluster: Cluster, resources: AlterConfigResource[], options: { validateOnly?: boolean } = {}): Promise<void> {
  const results = await perDestination(cluster, 'IncrementalAlterConfigs', resources, async (node, rs) => {
    const { response } = await cluster.send<IncrementalAlterConfigsResponse>(node, ApiKey.IncrementalAlterConfigs, INCREMENTAL_ALTER_CONFIGS_VERSIONS, () =>
      createIncrementalAlterConfigsRequest({
        validateOnly: options.validateOnly ?? false,
        resources: rs.map((r) => createIncrementalAlterConfigsRequestAlterConfigsResource({ resourceType: resourceType(r.type), resourceName: r.name, configs: operations(r) })),
      }));
    return rs.map((r) => ({ r, result: response.responses.find((x) => x.resourceType === resourceType(r.type) && x.resourceName === r.name) }));
  });
  throwFailures('IncrementalAlterConfigs', results.filter(({ result }) => !result || result.errorCode !== ErrorCode.NONE).map(({ r, result }) =>
    resourceError('IncrementalAlterConfigs', r.type, r.name, result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, result?.errorMessage ?? null)));
}
