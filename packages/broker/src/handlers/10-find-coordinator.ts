import {
  ApiKey, createFindCoordinatorResponse, createFindCoordinatorResponseCoordinator, ErrorCode,
  type FindCoordinatorRequest, type FindCoordinatorResponse, type FindCoordinatorResponseCoordinator,
} from '@millrace/protocol';
import type { BrokerState, Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canGroup, canTransactionalId } from '../security/authorizer.ts';
import { addressOn, liveBrokers } from '../replication/cluster-brokers.ts';
import { OFFSETS_TOPIC } from '../group/offset-store.ts';
import { TXN_TOPIC } from '../txn/txn-coordinator.ts';

const KeyType = { GROUP: 0, TRANSACTION: 1 } as const;

async function coordinatorFor(state: BrokerState, listener: string, key: string, keyType: number): Promise<FindCoordinatorResponseCoordinator> {
  if (keyType !== KeyType.GROUP && keyType !== KeyType.TRANSACTION) {
    return createFindCoordinatorResponseCoordinator({ key, nodeId: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown coordinator key type ${keyType}` });
  }
  if (key === '') {
    return createFindCoordinatorResponseCoordinator({ key, nodeId: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'the coordinator key is empty' });
  }
  if (state.cluster) {
    return keyType === KeyType.GROUP
      ? leaderOfInternalPartition(state, listener, key, OFFSETS_TOPIC, () => state.groups.offsets.ensureTopic(), state.groups.offsets.indexOf(key))
      : leaderOfInternalPartition(state, listener, key, TXN_TOPIC, () => state.transactions.ensureTopic(), state.transactions.indexOf(key));
  }
  // A single broker coordinates every group and transactional id.
  const coordinator = liveBrokers(state, listener)[0];
  if (!coordinator) return createFindCoordinatorResponseCoordinator({ key, nodeId: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE });
  return createFindCoordinatorResponseCoordinator({ key, nodeId: coordinator.nodeId, host: coordinator.host, port: coordinator.port });
}

/**
 * In a cluster a group's coordinator is the leader of its `__consumer_offsets` partition, and a
 * transactional id's the leader of its `__transaction_state` partition (the topic is made on the
 * first request).
 */
async function leaderOfInternalPartition(state: BrokerState, listener: string, key: string, topicName: string, ensureTopic: () => Promise<unknown>, index: number): Promise<FindCoordinatorResponseCoordinator> {
  const unavailable = (errorMessage: string) => createFindCoordinatorResponseCoordinator({ key, nodeId: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage });
  try {
    await ensureTopic();
  } catch (err) {
    return unavailable(`${topicName} cannot be created: ${(err as Error).message}`);
  }
  const view = state.cluster!.view;
  const topic = view.topics.get(topicName);
  const leader = topic && view.partition(topic.assignment.id, index)?.state.leader;
  const broker = leader === undefined ? undefined : view.brokers.get(leader);
  if (!broker) return unavailable(`${topicName}-${index} has no leader`);
  const address = addressOn(broker, listener);
  if (!address) return unavailable(`the coordinator, broker ${broker.nodeId}, has no listener ${listener}`);
  return createFindCoordinatorResponseCoordinator({ key, nodeId: address.nodeId, host: address.host, port: address.port });
}

/**
 * Also the switch for librdkafka features: it enables LZ4 and its group consumer only when the
 * broker's FindCoordinator range contains v0.
 */
export const findCoordinatorHandler: Handler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: ApiKey.FindCoordinator,
  // v6 adds share-group keys.
  versions: { min: 0, max: 5 },
  async handle(ctx, request) {
    // DESCRIBE on the group or transactional id is needed to learn its coordinator.
    const find = (key: string) => {
      if (request.keyType === KeyType.GROUP && !canGroup(ctx, key, AclOperation.DESCRIBE)) {
        return createFindCoordinatorResponseCoordinator({ key, nodeId: -1, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
      }
      if (request.keyType === KeyType.TRANSACTION && !canTransactionalId(ctx, key, AclOperation.DESCRIBE)) {
        return createFindCoordinatorResponseCoordinator({ key, nodeId: -1, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED });
      }
      return coordinatorFor(ctx.broker, ctx.session.listener.name, key, request.keyType);
    };
    if (ctx.apiVersion >= 4) {
      const coordinators = [];
      for (const key of request.coordinatorKeys) coordinators.push(await find(key));
      return createFindCoordinatorResponse({ coordinators });
    }
    const c = await find(request.key);
    return createFindCoordinatorResponse({ errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port });
  },
};
