import {
  ApiKey, createFindCoordinatorResponse, createFindCoordinatorResponseCoordinator, ErrorCode,
  type FindCoordinatorRequest, type FindCoordinatorResponse, type FindCoordinatorResponseCoordinator,
} from '@millrace/protocol';
import type { BrokerState, Handler } from '../handler.ts';
import { liveBrokers } from '../replication/cluster-brokers.ts';

const KeyType = { GROUP: 0, TRANSACTION: 1 } as const;

function coordinatorFor(state: BrokerState, key: string, keyType: number): FindCoordinatorResponseCoordinator {
  if (keyType !== KeyType.GROUP && keyType !== KeyType.TRANSACTION) {
    return createFindCoordinatorResponseCoordinator({ key, nodeId: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown coordinator key type ${keyType}` });
  }
  if (key === '') {
    return createFindCoordinatorResponseCoordinator({ key, nodeId: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'the coordinator key is empty' });
  }
  // A single broker coordinates every group and transactional id. A cluster does not replicate group
  // and transaction state yet: one broker, the same for every client (the lowest live id), holds it.
  const coordinator = liveBrokers(state)[0];
  if (!coordinator) return createFindCoordinatorResponseCoordinator({ key, nodeId: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE });
  return createFindCoordinatorResponseCoordinator({ key, nodeId: coordinator.nodeId, host: coordinator.host, port: coordinator.port });
}

/**
 * Also the switch for librdkafka features: it enables LZ4 and its group consumer only when the
 * broker's FindCoordinator range contains v0.
 */
export const findCoordinatorHandler: Handler<FindCoordinatorRequest, FindCoordinatorResponse> = {
  apiKey: ApiKey.FindCoordinator,
  // v6 adds share-group keys.
  versions: { min: 0, max: 5 },
  handle(ctx, request) {
    if (ctx.apiVersion >= 4) {
      return createFindCoordinatorResponse({ coordinators: request.coordinatorKeys.map((key) => coordinatorFor(ctx.broker, key, request.keyType)) });
    }
    const c = coordinatorFor(ctx.broker, request.key, request.keyType);
    return createFindCoordinatorResponse({ errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port });
  },
};
