import {
  ApiKey, createCreateTopicsResponse, createCreateTopicsResponseCreatableTopicConfigs,
  createCreateTopicsResponseCreatableTopicResult, type CreateTopicsRequest, type CreateTopicsRequestCreatableTopic,
  type CreateTopicsResponse, type CreateTopicsResponseCreatableTopicResult, ErrorCode,
} from '@millrace/protocol';
import { resolveTopicConfig } from '../config/config-sources.ts';
import { TOPIC_CONFIGS } from '../config/topic-configs.ts';
import type { BrokerState, Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canCluster, canTopic } from '../security/authorizer.ts';
import { storageErrorCode } from '../storage-errors.ts';
import { createClusterTopic } from '../replication/cluster-topics.ts';
import { isFailure, type KafkaFailure, TopicExistsError } from '../topic-manager.ts';
import { mutationQuota, THROTTLED_MESSAGE } from '../quota/quota-client.ts';

interface Plan {
  partitions: number;
  replication: number;
  configs: Record<string, string>;
  /** An explicit replica assignment (cluster mode), else null. */
  replicas: number[][] | null;
}

/** Resolves defaults (-1 partitions or replication factor) and manual assignments, then validates. */
function plan(state: BrokerState, t: CreateTopicsRequestCreatableTopic): Plan | KafkaFailure {
  if (t.assignments.length > 0 && (t.numPartitions !== -1 || t.replicationFactor !== -1)) {
    return { errorCode: ErrorCode.INVALID_REQUEST, message: 'both replica assignments and partition count or replication factor were given' };
  }
  for (const a of t.assignments) {
    if (state.cluster) {
      const unknown = a.brokerIds.find((id) => !state.cluster!.view.brokers.has(id));
      if (unknown !== undefined || a.brokerIds.length === 0 || new Set(a.brokerIds).size !== a.brokerIds.length) {
        return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `partition ${a.partitionIndex} is assigned to brokers [${a.brokerIds}]: each must be a distinct live broker` };
      }
    } else if (a.brokerIds.length !== 1 || a.brokerIds[0] !== state.identity.nodeId) {
      return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, message: `partition ${a.partitionIndex} is assigned to brokers [${a.brokerIds}], but the only broker is ${state.identity.nodeId}` };
    }
  }
  const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? Number(state.config.values['num.partitions']) : t.numPartitions;
  const replication = t.assignments.length > 0 ? t.assignments[0].brokerIds.length : t.replicationFactor === -1 ? Number(state.config.values['default.replication.factor']) : t.replicationFactor;
  const configs: Record<string, string> = {};
  for (const c of t.configs) {
    if (c.value === null) return { errorCode: ErrorCode.INVALID_CONFIG, message: `config '${c.name}' has a null value` };
    configs[c.name] = c.value.trim();
  }
  const replicas = t.assignments.length > 0 ? [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => a.brokerIds) : null;
  // A cluster checks the replication factor against its live brokers when it assigns replicas.
  return state.topics.validateNewTopic(t.name, partitions, state.cluster ? 1 : replication, configs) ?? { partitions, replication, configs, replicas };
}

function result(name: string, init: Partial<CreateTopicsResponseCreatableTopicResult>): CreateTopicsResponseCreatableTopicResult {
  return createCreateTopicsResponseCreatableTopicResult({ name, numPartitions: -1, replicationFactor: -1, configs: null, ...init });
}

export const createTopicsHandler: Handler<CreateTopicsRequest, CreateTopicsResponse> = {
  apiKey: ApiKey.CreateTopics,
  versions: { min: 0, max: 7 },
  async handle(ctx, request) {
    const state = ctx.broker;
    // v6+ clients retry a topic refused with THROTTLING_QUOTA_EXCEEDED (KIP-599).
    const quota = mutationQuota(ctx, 6);
    const seen = new Map<string, number>();
    for (const t of request.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    const results: CreateTopicsResponseCreatableTopicResult[] = [];
    for (const t of request.topics) {
      if (seen.get(t.name)! > 1) {
        results.push(result(t.name, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `topic '${t.name}' appears more than once in the request` }));
        continue;
      }
      if (!canCluster(ctx, AclOperation.CREATE) && !canTopic(ctx, t.name, AclOperation.CREATE)) {
        results.push(result(t.name, { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'CREATE on the cluster or on the topic is needed' }));
        continue;
      }
      const p = plan(state, t);
      if (isFailure(p)) {
        results.push(result(t.name, { errorCode: p.errorCode, errorMessage: p.message }));
        continue;
      }
      if (!request.validateOnly && !quota.admit(p.partitions)) {
        results.push(result(t.name, { errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED, errorMessage: THROTTLED_MESSAGE }));
        continue;
      }
      let topic = null;
      try {
        if (!request.validateOnly && state.cluster) {
          const created = await createClusterTopic(state, t.name, p.partitions, p.replication, p.configs, p.replicas ?? undefined);
          if (isFailure(created)) {
            results.push(result(t.name, { errorCode: created.errorCode, errorMessage: created.message }));
            continue;
          }
          topic = created;
        } else if (!request.validateOnly) {
          topic = await state.topics.createTopic(t.name, p.partitions, p.configs);
        }
      } catch (err) {
        if (err instanceof TopicExistsError) results.push(result(t.name, { errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: err.message }));
        else results.push(result(t.name, { errorCode: storageErrorCode(err, state.log), errorMessage: `topic '${t.name}' could not be created: ${(err as Error).message}` }));
        continue;
      }
      if (topic) state.log.info(`created topic ${t.name} with ${p.partitions} partition(s)`);
      results.push(
        result(t.name, {
          topicId: topic?.record.id,
          numPartitions: p.partitions,
          replicationFactor: p.replication,
          configs: TOPIC_CONFIGS.map((def) => {
            const resolved = resolveTopicConfig(def, p.configs, state.config);
            return createCreateTopicsResponseCreatableTopicConfigs({ name: def.name, value: resolved.value, configSource: resolved.source });
          }),
        }),
      );
    }
    ctx.throttleMs = quota.throttleMs();
    return createCreateTopicsResponse({ topics: results });
  },
};
