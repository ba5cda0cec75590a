import {
  type AlterUserScramCredentialsRequest, type AlterUserScramCredentialsResponse, ApiKey, createAlterUserScramCredentialsResponse,
  createAlterUserScramCredentialsResponseAlterUserScramCredentialsResult, ErrorCode,
} from '@millrace/protocol';
import { credentialFromSaltedPassword, MAX_SCRAM_ITERATIONS, MIN_SCRAM_ITERATIONS, SCRAM_MECHANISMS, type ScramMechanism } from '@millrace/security';
import type { Handler } from '../handler.ts';
import { AclOperation } from '@millrace/security';
import { canCluster } from '../security/authorizer.ts';
import type { ScramChange } from '../security/scram-store.ts';

const MECHANISM_BY_TYPE = new Map<number, ScramMechanism>(Object.entries(SCRAM_MECHANISMS).map(([name, spec]) => [spec.type, name as ScramMechanism]));

interface Refusal {
  errorCode: number;
  errorMessage: string;
}

/**
 * Creates, replaces and deletes SCRAM credentials. The client sends the salted password, never the
 * password. Each user's changes apply together or not at all, and the answer waits until they are durable.
 */
export const alterUserScramCredentialsHandler: Handler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse> = {
  apiKey: ApiKey.AlterUserScramCredentials,
  versions: { min: 0, max: 0 },
  async handle(ctx, request) {
    if (!canCluster(ctx, AclOperation.ALTER)) {
      const users = [...new Set([...request.deletions, ...request.upsertions].map((a) => a.name))];
      return createAlterUserScramCredentialsResponse({ results: users.map((user) => createAlterUserScramCredentialsResponseAlterUserScramCredentialsResult({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'ALTER on the cluster is needed' })) });
    }
    const store = ctx.broker.security.scram;
    const changes = new Map<string, ScramChange[]>();
    const refused = new Map<string, Refusal>();
    const seen = new Set<string>();
    const refuse = (user: string, errorCode: number, errorMessage: string) => {
      if (!refused.has(user)) refused.set(user, { errorCode, errorMessage });
    };
    const alterations = [
      ...request.deletions.map((d) => ({ user: d.name, type: d.mechanism, upsertion: null })),
      ...request.upsertions.map((u) => ({ user: u.name, type: u.mechanism, upsertion: u })),
    ];
    for (const { user, type, upsertion } of alterations) {
      if (!changes.has(user)) changes.set(user, []);
      const mechanism = MECHANISM_BY_TYPE.get(type);
      if (user === '') refuse(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      else if (!mechanism) refuse(user, ErrorCode.UNSUPPORTED_SASL_MECHANISM, `Unknown SCRAM mechanism type ${type}`);
      else if (seen.has(`${user}\0${type}`)) refuse(user, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
      else if (!upsertion) {
        if (!store.get(user, mechanism)) refuse(user, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
        else changes.get(user)!.push({ user, mechanism, credential: null });
      } else if (upsertion.iterations < MIN_SCRAM_ITERATIONS) refuse(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Too few iterations: at least ${MIN_SCRAM_ITERATIONS}`);
      else if (upsertion.iterations > MAX_SCRAM_ITERATIONS) refuse(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Too many iterations: at most ${MAX_SCRAM_ITERATIONS}`);
      else if (upsertion.salt.length === 0) refuse(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'The salt must not be empty');
      else if (upsertion.saltedPassword.length !== SCRAM_MECHANISMS[mechanism].keyLength) {
        refuse(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, `A ${mechanism} salted password is ${SCRAM_MECHANISMS[mechanism].keyLength} bytes, not ${upsertion.saltedPassword.length}`);
      } else {
        changes.get(user)!.push({ user, mechanism, credential: credentialFromSaltedPassword(mechanism, Buffer.from(upsertion.saltedPassword), Buffer.from(upsertion.salt), upsertion.iterations) });
      }
      seen.add(`${user}\0${type}`);
    }
    const accepted = [...changes].filter(([user]) => !refused.has(user)).flatMap(([, c]) => c);
    if (accepted.length > 0) await store.apply(accepted);
    return createAlterUserScramCredentialsResponse({
      results: [...changes.keys()].map((user) => createAlterUserScramCredentialsResponseAlterUserScramCredentialsResult({
        user, errorCode: refused.get(user)?.errorCode ?? ErrorCode.NONE, errorMessage: refused.get(user)?.errorMessage ?? null,
      })),
    });
  },
};
