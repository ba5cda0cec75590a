import {
  type AlterConfigsRequest, type AlterConfigsResponse, ApiKey, createAlterConfigsResponse,
  createAlterConfigsResponseAlterConfigsResourceResponse, ErrorCode,
} from '@millrace/protocol';
import { replaceTopicConfigs } from '../config/alter-topic-configs.ts';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { configAuthorization } from '../security/authorizer.ts';

/** The legacy AlterConfigs: the configs given replace every override the resource had. */
export const alterConfigsHandler: Handler<AlterConfigsRequest, AlterConfigsResponse> = {
  apiKey: ApiKey.AlterConfigs,
  versions: { min: 0, max: 2 },
  async handle(ctx, request) {
    return createAlterConfigsResponse({
      responses: await Promise.all(request.resources.map(async (res) => {
        const refused = configAuthorization(ctx, res.resourceType, res.resourceName, AclOperation.ALTER_CONFIGS);
        const failure = refused !== ErrorCode.NONE ? { errorCode: refused, message: 'ALTER_CONFIGS is needed' } : await replaceTopicConfigs(ctx.broker, res.resourceType, res.resourceName, () => {
          const configs: Record<string, string> = {};
          for (const c of res.configs) if (c.value !== null) configs[c.name] = c.value.trim();
          return configs;
        }, request.validateOnly);
        return createAlterConfigsResponseAlterConfigsResourceResponse({
          resourceType: res.resourceType,
          resourceName: res.resourceName,
          errorCode: failure?.errorCode ?? 0,
          errorMessage: failure?.message ?? null,
        });
      })),
    });
  },
};
