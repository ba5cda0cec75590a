import {
  ApiKey, createDescribeConfigsResponse, createDescribeConfigsResponseDescribeConfigsResourceResult,
  createDescribeConfigsResponseDescribeConfigsResult, createDescribeConfigsResponseDescribeConfigsSynonym,
  type DescribeConfigsRequest, type DescribeConfigsRequestDescribeConfigsResource, type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResourceResult, type DescribeConfigsResponseDescribeConfigsResult, ErrorCode,
} from '@millrace/protocol';
import { BROKER_DEFAULTS } from '../config/broker-config.ts';
import { ConfigSource, resolveTopicConfig, type ResolvedConfig } from '../config/config-sources.ts';
import { ResourceType } from '../config/resource-types.ts';
import { ConfigType, TOPIC_CONFIG_BY_NAME, TOPIC_CONFIGS } from '../config/topic-configs.ts';
import type { BrokerState, Handler, RequestContext } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { configAuthorization } from '../security/authorizer.ts';

function entry(ctx: RequestContext, r: ResolvedConfig, includeSynonyms: boolean): DescribeConfigsResponseDescribeConfigsResourceResult {
  return createDescribeConfigsResponseDescribeConfigsResourceResult({
    name: r.def.name,
    value: r.value,
    readOnly: false,
    isDefault: r.source === ConfigSource.DEFAULT_CONFIG,
    configSource: r.source,
    synonyms: includeSynonyms ? r.synonyms.map((s) => createDescribeConfigsResponseDescribeConfigsSynonym(s)) : [],
    configType: r.def.type,
    documentation: null,
  });
}

function describeTopic(ctx: RequestContext, res: DescribeConfigsRequestDescribeConfigsResource, includeSynonyms: boolean): DescribeConfigsResponseDescribeConfigsResult {
  const state = ctx.broker;
  const topic = state.topics.get(res.resourceName);
  const base = { resourceType: res.resourceType, resourceName: res.resourceName };
  if (!topic) return createDescribeConfigsResponseDescribeConfigsResult({ ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic '${res.resourceName}' does not exist` });
  const keys = res.configurationKeys ?? TOPIC_CONFIGS.map((d) => d.name);
  const configs = keys.flatMap((key) => {
    const def = TOPIC_CONFIG_BY_NAME.get(key);
    return def ? [entry(ctx, resolveTopicConfig(def, topic.record.configs, state.config), includeSynonyms)] : [];
  });
  return createDescribeConfigsResponseDescribeConfigsResult({ ...base, configs });
}

function describeBroker(ctx: RequestContext, res: DescribeConfigsRequestDescribeConfigsResource, includeSynonyms: boolean): DescribeConfigsResponseDescribeConfigsResult {
  const state: BrokerState = ctx.broker;
  const base = { resourceType: res.resourceType, resourceName: res.resourceName };
  if (res.resourceName !== '' && res.resourceName !== String(state.identity.nodeId)) {
    return createDescribeConfigsResponseDescribeConfigsResult({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `this is broker ${state.identity.nodeId}, not '${res.resourceName}'` });
  }
  const keys = res.configurationKeys ?? Object.keys(BROKER_DEFAULTS).sort();
  const configs = keys.filter((k) => k in state.config.values).map((name) => {
    const explicit = state.config.explicit.has(name);
    const source = explicit ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
    const value = state.config.values[name];
    const synonyms = [{ name, value, source }];
    if (explicit) synonyms.push({ name, value: BROKER_DEFAULTS[name], source: ConfigSource.DEFAULT_CONFIG });
    const def = { name, type: ConfigType.STRING, defaultValue: BROKER_DEFAULTS[name], brokerSynonym: name };
    return { ...entry(ctx, { def, value, source, synonyms }, includeSynonyms), readOnly: true };
  });
  return createDescribeConfigsResponseDescribeConfigsResult({ ...base, configs });
}

export const describeConfigsHandler: Handler<DescribeConfigsRequest, DescribeConfigsResponse> = {
  apiKey: ApiKey.DescribeConfigs,
  versions: { min: 0, max: 4 },
  handle(ctx, request) {
    return createDescribeConfigsResponse({
      results: request.resources.map((res) => {
        const refused = configAuthorization(ctx, res.resourceType, res.resourceName, AclOperation.DESCRIBE_CONFIGS);
        if (refused !== ErrorCode.NONE) return createDescribeConfigsResponseDescribeConfigsResult({ resourceType: res.resourceType, resourceName: res.resourceName, errorCode: refused, errorMessage: 'DESCRIBE_CONFIGS is needed' });
        if (res.resourceType === ResourceType.TOPIC) return describeTopic(ctx, res, request.includeSynonyms);
        if (res.resourceType === ResourceType.BROKER) return describeBroker(ctx, res, request.includeSynonyms);
        return createDescribeConfigsResponseDescribeConfigsResult({
          resourceType: res.resourceType,
          resourceName: res.resourceName,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `config resource type ${res.resourceType} is not supported`,
        });
      }),
    });
  },
};
