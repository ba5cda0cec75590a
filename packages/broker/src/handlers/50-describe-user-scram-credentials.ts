import {
  ApiKey, createDescribeUserScramCredentialsResponse, createDescribeUserScramCredentialsResponseCredentialInfo,
  createDescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult, type DescribeUserScramCredentialsRequest,
  type DescribeUserScramCredentialsResponse, ErrorCode,
} from '@millrace/protocol';
import { SCRAM_MECHANISMS } from '@millrace/security';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canCluster } from '../security/authorizer.ts';

/** Which users have SCRAM credentials, with each mechanism's iteration count (never salts or keys). */
export const describeUserScramCredentialsHandler: Handler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse> = {
  apiKey: ApiKey.DescribeUserScramCredentials,
  versions: { min: 0, max: 0 },
  handle(ctx, request) {
    if (!canCluster(ctx, AclOperation.DESCRIBE)) return createDescribeUserScramCredentialsResponse({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'DESCRIBE on the cluster is needed' });
    const all = ctx.broker.security.scram.list();
    const byUser = new Map(all.map((u) => [u.user, u.credentials]));
    const asked = request.users === null || request.users.length === 0 ? all.map((u) => u.user) : request.users.map((u) => u.name);
    const results = asked.map((user, i) => {
      if (asked.indexOf(user) !== i) {
        return createDescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult({ user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request' });
      }
      const credentials = byUser.get(user);
      if (!credentials) {
        return createDescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult({ user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist' });
      }
      return createDescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult({
        user,
        errorMessage: null,
        credentialInfos: credentials.map((c) => createDescribeUserScramCredentialsResponseCredentialInfo({ mechanism: SCRAM_MECHANISMS[c.mechanism].type, iterations: c.iterations })),
      });
    });
    return createDescribeUserScramCredentialsResponse({ errorMessage: null, results });
  },
};
