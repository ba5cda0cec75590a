import { randomBytes } from 'node:crypto';
import {
  type AlterUserScramCredentialsRequestScramCredentialDeletion, type AlterUserScramCredentialsRequestScramCredentialUpsertion, type AlterUserScramCredentialsResponse, ApiKey, createAlterUserScramCredentialsRequest, createAlterUserScramCredentialsRequestScramCredentialDeletion,
  createAlterUserScramCredentialsRequestScramCredentialUpsertion, createDescribeUserScramCredentialsRequest, createDescribeUserScramCredentialsRequestUserName,
  type DescribeUserScramCredentialsResponse, ErrorCode,
} from '@millrace/protocol';
import { isScramMechanism, MIN_SCRAM_ITERATIONS, SCRAM_MECHANISMS, saltedPassword, type ScramMechanism } from '@millrace/security';
import type { Cluster } from './cluster.ts';
import { KafkaError } from './errors.ts';
import { invalid, requireName, throwFailures } from './admin-util.ts';

const VERSIONS = [0, 0] as const;
const MECHANISM_NAMES = new Map<number, ScramMechanism>(Object.entries(SCRAM_MECHANISMS).map(([name, spec]) => [spec.type, name as ScramMechanism]));

export interface ScramUserDescription {
  user: string;
  credentials: { mechanism: ScramMechanism; iterations: number }[];
}

export type ScramCredentialChange =
  | { user: string; mechanism: ScramMechanism; password: string; iterations?: number }
  | { user: string; mechanism: ScramMechanism; delete: true };

/** The SCRAM users (all when `users` is absent) with their mechanisms and iteration counts. */
export async function describeScramUsers(cluster: Cluster, users?: string[]): Promise<ScramUserDescription[]> {
  const { response } = await cluster.retrying(() => cluster.send<DescribeUserScramCredentialsResponse>(null, ApiKey.DescribeUserScramCredentials, VERSIONS, () =>
    createDescribeUserScramCredentialsRequest({ users: users ? users.map((name) => createDescribeUserScramCredentialsRequestUserName({ name })) : null })));
  if (response.errorCode !== ErrorCode.NONE) throw new KafkaError(response.errorCode, { api: 'DescribeUserScramCredentials', message: response.errorMessage });
  throwFailures('DescribeUserScramCredentials', response.results.filter((r) => r.errorCode !== ErrorCode.NONE)
    .map((r) => new KafkaError(r.errorCode, { api: 'DescribeUserScramCredentials', message: `${r.user}: ${r.errorMessage ?? ''}` })));
  return response.results.map((r) => ({ user: r.user, credentials: r.credentialInfos.map((c) => ({ mechanism: MECHANISM_NAMES.get(c.mechanism)!, iterations: c.iterations })) }));
}

/**
 * Creates, replaces or deletes SCRAM credentials. The password is salted and hashed here, as
 * Kafka's admin client does: it never crosses the wire.
 */
export async function alterScramUsers(cluster: Cluster, changes: ScramCredentialChange[]): Promise<void> {
  const deletions: AlterUserScramCredentialsRequestScramCredentialDeletion[] = [];
  const upsertions: AlterUserScramCredentialsRequestScramCredentialUpsertion[] = [];
  for (const c of changes) {
    requireName(c.user, 'user');
    if (!isScramMechanism(c.mechanism)) throw invalid(`mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, not ${String(c.mechanism)}`);
    const mechanism = SCRAM_MECHANISMS[c.mechanism].type;
    if ('delete' in c) {
      deletions.push(createAlterUserScramCredentialsRequestScramCredentialDeletion({ name: c.user, mechanism }));
      continue;
    }
    if (typeof c.password !== 'string' || c.password === '') throw invalid(`${c.user}: the password must be a non-empty string`);
    const iterations = c.iterations ?? MIN_SCRAM_ITERATIONS;
    const salt = randomBytes(32);
    upsertions.push(createAlterUserScramCredentialsRequestScramCredentialUpsertion({ name: c.user, mechanism, iterations, salt, saltedPassword: saltedPassword(c.mechanism, c.password, salt, iterations) }));
  }
  const { response } = await cluster.send<AlterUserScramCredentialsResponse>(null, ApiKey.AlterUserScramCredentials, VERSIONS, () => createAlterUserScramCredentialsRequest({ deletions, upsertions }));
  throwFailures('AlterUserScramCredentials', response.results.filter((r) => r.errorCode !== ErrorCode.NONE)
    .map((r) => new KafkaError(r.errorCode, { api: 'AlterUserScramCredentials', message: `${r.user}: ${r.errorMessage ?? ''}` })));
}
