import { ErrorCode } from '@millrace/protocol';
import type { BrokerState } from './handler.ts';
import { isFailure, type KafkaFailure, type Topic, TopicExistsError } from './topic-manager.ts';
import { createClusterTopic } from './replication/cluster-topics.ts';
import { topicNameError } from './metadata/topic-names.ts';
import { storageErrorCode } from './storage-errors.ts';

/**
 * Creates a topic a client asked for by name (Metadata with auto-creation allowed), with the
 * broker's num.partitions. Concurrent requests for the same new topic share one creation.
 */
const inProgress = new WeakMap<BrokerState, Map<string, Promise<Topic | KafkaFailure>>>();

export function autoCreateTopic(state: BrokerState, name: string): Promise<Topic | KafkaFailure> {
  let pending = inProgress.get(state);
  if (!pending) inProgress.set(state, (pending = new Map()));
  const existing = pending.get(name);
  if (existing) return existing;
  const creation = create(state, name).finally(() => pending.delete(name));
  pending.set(name, creation);
  return creation;
}

async function create(state: BrokerState, name: string): Promise<Topic | KafkaFailure> {
  const nameError = topicNameError(name);
  if (nameError) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, message: nameError };
  const existing = state.topics.get(name);
  if (existing) return existing;
  const partitions = Number(state.config.values['num.partitions']);
  if (state.cluster) {
    const created = await createClusterTopic(state, name, partitions, Number(state.config.values['default.replication.factor']), {});
    if (!isFailure(created)) state.log.info(`auto-created topic ${name} with ${partitions} partition(s) in the cluster`);
    return created;
  }
  const failure = state.topics.validateNewTopic(name, partitions, 1, {});
  if (failure) return failure;
  let topic: Topic;
  try {
    topic = await state.topics.createTopic(name, partitions, {});
  } catch (err) {
    // Created by a CreateTopics request meanwhile: the client asks again and finds it.
    if (err instanceof TopicExistsError) return state.topics.get(name) ?? { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, message: `topic '${name}' is being created` };
    return { errorCode: storageErrorCode(err, state.log), message: `topic '${name}' could not be created: ${(err as Error).message}` };
  }
  state.log.info(`auto-created topic ${name} with ${partitions} partition(s)`);
  return topic;
}
