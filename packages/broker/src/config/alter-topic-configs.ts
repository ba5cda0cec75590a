import { ErrorCode } from '@millrace/protocol';
import type { BrokerState } from '../handler.ts';
import { isFailure, type KafkaFailure, validateTopicConfigs } from '../topic-manager.ts';
import { ResourceType } from './resource-types.ts';
import { updateClusterTopic } from '../replication/cluster-topics.ts';

/** Validates and (unless validate-only) stores a topic's complete new set of config overrides. */
export async function replaceTopicConfigs(
  state: BrokerState,
  resourceType: number,
  topicName: string,
  next: (current: Record<string, string>) => Record<string, string> | KafkaFailure,
  validateOnly: boolean,
): Promise<KafkaFailure | null> {
  if (resourceType === ResourceType.BROKER) {
    return { errorCode: ErrorCode.INVALID_REQUEST, message: 'broker settings are read at start-up: change them in the config file or with --set' };
  }
  if (resourceType !== ResourceType.TOPIC) return { errorCode: ErrorCode.INVALID_REQUEST, message: `config resource type ${resourceType} is not supported` };
  const topic = state.topics.get(topicName);
  if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `topic '${topicName}' does not exist` };
  const configs = next({ ...topic.record.configs });
  if (isFailure(configs)) return configs;
  const failure = validateTopicConfigs(configs);
  if (failure) return failure;
  if (!validateOnly && state.cluster) {
    const failed = await updateClusterTopic(state, topicName, { configs });
    if (failed) return failed;
    state.log.info(`topic ${topicName} configs now ${JSON.stringify(configs)} in the cluster`);
  } else if (!validateOnly) {
    await state.topics.setTopicConfigs(topicName, configs);
    state.log.info(`topic ${topicName} configs now ${JSON.stringify(configs)}`);
  }
  return null;
}
