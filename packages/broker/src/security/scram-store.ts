import type { Fs } from '@millrace/storage';
import type { ScramCredential, ScramMechanism } from '@millrace/security';
import { type ClusterJsonDocument, DocumentState } from './json-document.ts';

interface StoredCredential {
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}

/** [user, [[mechanism, credential]...]] pairs: an object keyed by user names would lose a user called "__proto__". */
type StoredUsers = [string, [ScramMechanism, StoredCredential][]][];

export type ScramChange =
  | { user: string; mechanism: ScramMechanism; credential: ScramCredential }
  | { user: string; mechanism: ScramMechanism; credential: null };

const stored = (c: ScramCredential): StoredCredential => ({ salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations });
const credential = (c: StoredCredential): ScramCredential => ({ salt: Buffer.from(c.salt, 'base64'), storedKey: Buffer.from(c.storedKey, 'base64'), serverKey: Buffer.from(c.serverKey, 'base64'), iterations: c.iterations });

/** `users` with `changes` applied: upserts and deletions, a user left without credentials gone. */
function applied(users: StoredUsers, changes: ScramChange[]): StoredUsers {
  const byUser = new Map(users.map(([user, byMechanism]) => [user, new Map(byMechanism)]));
  for (const change of changes) {
    let byMechanism = byUser.get(change.user);
    if (!byMechanism) byUser.set(change.user, (byMechanism = new Map()));
    if (change.credential) byMechanism.set(change.mechanism, stored(change.credential));
    else byMechanism.delete(change.mechanism);
    if (byMechanism.size === 0) byUser.delete(change.user);
  }
  return [...byUser].map(([user, byMechanism]) => [user, [...byMechanism]]);
}

/**
 * The SCRAM credentials users log in with: salt, stored key, server key and iteration count per
 * user and mechanism (never a password), in one durable file of the data directory (in a cluster,
 * one document every broker shares). A change is answered only once it is durable.
 */
export class ScramCredentialStore {
  private users = new Map<string, Map<ScramMechanism, ScramCredential>>();
  private state!: DocumentState<StoredUsers>;

  static async open(fs: Fs, dataDir: string): Promise<ScramCredentialStore> {
    const store = new ScramCredentialStore();
    store.state = await DocumentState.open<StoredUsers>(fs, dataDir, 'scram-credentials.checkpoint', [], (users) => store.index(users));
    return store;
  }

  /** Moves the credentials to the cluster's document, shared by every broker. */
  share(document: ClusterJsonDocument<StoredUsers>): Promise<void> {
    return this.state.share(document);
  }

  get(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.users.get(user)?.get(mechanism);
  }

  /** Every user with the mechanisms and iteration counts it has (what DescribeUserScramCredentials lists). */
  list(): { user: string; credentials: { mechanism: ScramMechanism; iterations: number }[] }[] {
    return [...this.users].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([user, byMechanism]) => ({
      user,
      credentials: [...byMechanism].map(([mechanism, c]) => ({ mechanism, iterations: c.iterations })),
    }));
  }

  /** Applies upserts and deletions together and resolves once they are durable. */
  async apply(changes: ScramChange[]): Promise<void> {
    if (changes.length > 0) await this.state.update((users) => applied(users, changes));
  }

  private index(users: StoredUsers): void {
    this.users = new Map(users.map(([user, byMechanism]) => [user, new Map(byMechanism.map(([mechanism, c]) => [mechanism, credential(c)]))]));
  }
}
