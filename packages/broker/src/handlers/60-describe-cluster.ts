import {
  ApiKey, createDescribeClusterResponse, createDescribeClusterResponseDescribeClusterBroker,
  type DescribeClusterRequest, type DescribeClusterResponse, ErrorCode,
} from '@millrace/protocol';
import { AUTHORIZED_OPERATIONS_OMITTED, type Handler } from '../handler.ts';
import { controllerId, liveBrokers } from '../replication/cluster-brokers.ts';

const BROKERS_ENDPOINT = 1;

export const describeClusterHandler: Handler<DescribeClusterRequest, DescribeClusterResponse> = {
  apiKey: ApiKey.DescribeCluster,
  versions: { min: 0, max: 1 },
  handle(ctx, request) {
    const state = ctx.broker;
    if (ctx.apiVersion >= 1 && request.endpointType !== BROKERS_ENDPOINT) {
      return createDescribeClusterResponse({
        errorCode: ErrorCode.MISMATCHED_ENDPOINT_TYPE,
        errorMessage: 'this is a broker endpoint; there are no separate controller endpoints',
        endpointType: BROKERS_ENDPOINT,
      });
    }
    return createDescribeClusterResponse({
      endpointType: BROKERS_ENDPOINT,
      clusterId: state.identity.clusterId,
      controllerId: controllerId(state),
      brokers: liveBrokers(state, ctx.session.listener.name).map((b) => createDescribeClusterResponseDescribeClusterBroker({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    });
  },
};
