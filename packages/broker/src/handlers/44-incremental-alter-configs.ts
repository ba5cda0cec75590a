import {
  ApiKey, createIncrementalAlterConfigsResponse, createIncrementalAlterConfigsResponseAlterConfigsResourceResponse,
  ErrorCode, type IncrementalAlterConfigsRequest, type IncrementalAlterConfigsRequestAlterableConfig,
  type IncrementalAlterConfigsResponse,
} from '@millrace/protocol';
import { replaceTopicConfigs } from '../config/alter-topic-configs.ts';
import { ConfigType, TOPIC_CONFIG_BY_NAME } from '../config/topic-configs.ts';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { configAuthorization } from '../security/authorizer.ts';
import type { KafkaFailure } from '../topic-manager.ts';

const Op = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

/** Applies SET / DELETE / APPEND / SUBTRACT to a copy of the overrides; APPEND and SUBTRACT only work on list configs. */
function applyOps(current: Record<string, string>, ops: IncrementalAlterConfigsRequestAlterableConfig[], defaultOf: (key: string) => string): Record<string, string> | KafkaFailure {
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.name)) return { errorCode: ErrorCode.INVALID_REQUEST, message: `config '${op.name}' appears more than once` };
    seen.add(op.name);
    const def = TOPIC_CONFIG_BY_NAME.get(op.name);
    if (!def) return { errorCode: ErrorCode.INVALID_CONFIG, message: `unknown topic config '${op.name}'` };
    if (op.configOperation === Op.SET) {
      if (op.value === null) return { errorCode: ErrorCode.INVALID_CONFIG, message: `SET of '${op.name}' needs a value` };
      current[op.name] = op.value.trim();
    } else if (op.configOperation === Op.DELETE) {
      delete current[op.name];
    } else if (op.configOperation === Op.APPEND || op.configOperation === Op.SUBTRACT) {
      if (def.type !== ConfigType.LIST) return { errorCode: ErrorCode.INVALID_CONFIG, message: `'${op.name}' is not a list config` };
      const items = (current[op.name] ?? defaultOf(op.name)).split(',').map((s) => s.trim()).filter(Boolean);
      const given = (op.value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const next = op.configOperation === Op.APPEND ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
      current[op.name] = next.join(',');
    } else {
      return { errorCode: ErrorCode.INVALID_REQUEST, message: `unknown config operation ${op.configOperation}` };
    }
  }
  return current;
}

export const incrementalAlterConfigsHandler: Handler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> = {
  apiKey: ApiKey.IncrementalAlterConfigs,
  versions: { min: 0, max: 1 },
  async handle(ctx, request) {
    const state = ctx.broker;
    return createIncrementalAlterConfigsResponse({
      responses: await Promise.all(request.resources.map(async (res) => {
        const topic = state.topics.get(res.resourceName);
        const refused = configAuthorization(ctx, res.resourceType, res.resourceName, AclOperation.ALTER_CONFIGS);
        const failure = refused !== ErrorCode.NONE ? { errorCode: refused, message: 'ALTER_CONFIGS is needed' } : await replaceTopicConfigs(state, res.resourceType, res.resourceName, (current) =>
          applyOps(current, res.configs, (key) => state.topics.topicConfig(topic!.record, key)), request.validateOnly);
        return createIncrementalAlterConfigsResponseAlterConfigsResourceResponse({
          resourceType: res.resourceType,
          resourceName: res.resourceName,
          errorCode: failure?.errorCode ?? 0,
          errorMessage: failure?.message ?? null,
        });
      })),
    });
  },
};
