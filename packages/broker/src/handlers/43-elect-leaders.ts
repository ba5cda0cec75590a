import {
  ApiKey, createElectLeadersResponse, createElectLeadersResponsePartitionResult, createElectLeadersResponseReplicaElectionResult,
  type ElectLeadersRequest, type ElectLeadersResponse, ErrorCode, errorName,
} from '@millrace/protocol';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canCluster } from '../security/authorizer.ts';

const UNCLEAN = 1;

/**
 * Preferred (type 0) or unclean (type 1) leader election for the named partitions, or every
 * partition (null). A single broker leads everything already: ELECTION_NOT_NEEDED.
 */
export const electLeadersHandler: Handler<ElectLeadersRequest, ElectLeadersResponse> = {
  apiKey: ApiKey.ElectLeaders,
  versions: { min: 0, max: 2 },
  async handle(ctx, request) {
    const state = ctx.broker;
    const wanted = request.topicPartitions ?? state.topics.list().map((t) => ({ topic: t.record.name, partitions: t.partitions.map((p) => p.index) }));
    const type = ctx.apiVersion >= 1 && request.electionType === UNCLEAN ? 'unclean' : 'preferred';
    const asked = wanted.flatMap((t) => t.partitions.map((index) => ({ topic: t.topic, index })));
    const authorized = canCluster(ctx, AclOperation.ALTER);
    const outcomes = authorized && state.cluster ? await state.cluster.topics.electLeaders(type, asked) : null;
    return createElectLeadersResponse({
      errorCode: authorized ? ErrorCode.NONE : ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      replicaElectionResults: wanted.map((t) =>
        createElectLeadersResponseReplicaElectionResult({
          topic: t.topic,
          partitionResult: t.partitions.map((index) => {
            const errorCode = !authorized ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED : outcomes?.get(`${t.topic}/${index}`) ?? (state.topics.partition(t.topic, index) ? ErrorCode.ELECTION_NOT_NEEDED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
            return createElectLeadersResponsePartitionResult({ partitionId: index, errorCode, errorMessage: errorCode === ErrorCode.NONE ? null : errorName(errorCode) });
          }),
        }),
      ),
    });
  },
};
