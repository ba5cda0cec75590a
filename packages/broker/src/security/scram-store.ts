import type { Fs } from '@millrace/storage';
import { DurableJson } from './durable-json.ts';
import type { ScramCredential, ScramMechanism } from '@millrace/security';

interface StoredCredential {
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}

type StoredUsers = [string, [ScramMechanism, StoredCredential][]][];

export type ScramChange =
  | { user: string; mechanism: ScramMechanism; credential: ScramCredential }
  | { user: string; mechanism: ScramMechanism; credential: null };

/**
 * The SCRAM credentials users log in with: salt, stored key, server key and iteration count per
 * user and mechanism (never a password), in one durable file of the data directory. A change is
 * answered only once it is on disk.
 */
export class ScramCredentialStore {
  private readonly users = new Map<string, Map<ScramMechanism, ScramCredential>>();
  private readonly file: DurableJson<StoredUsers>;

  private constructor(file: DurableJson<StoredUsers>) {
    this.file = file;
  }

  static async open(fs: Fs, dataDir: string): Promise<ScramCredentialStore> {
    const store = new ScramCredentialStore(new DurableJson(fs, dataDir, 'scram-credentials.checkpoint'));
    for (const [user, byMechanism] of (await store.file.load()) ?? []) {
      for (const [mechanism, c] of byMechanism) {
        store.set(user, mechanism, { salt: Buffer.from(c.salt, 'base64'), storedKey: Buffer.from(c.storedKey, 'base64'), serverKey: Buffer.from(c.serverKey, 'base64'), iterations: c.iterations });
      }
    }
    return store;
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
  apply(changes: ScramChange[]): Promise<void> {
    if (changes.length === 0) return this.file.settled();
    for (const change of changes) {
      if (change.credential) this.set(change.user, change.mechanism, change.credential);
      else {
        this.users.get(change.user)?.delete(change.mechanism);
        if (this.users.get(change.user)?.size === 0) this.users.delete(change.user);
      }
    }
    return this.file.save(this.serialize());
  }

  private set(user: string, mechanism: ScramMechanism, credential: ScramCredential): void {
    let byMechanism = this.users.get(user);
    if (!byMechanism) this.users.set(user, (byMechanism = new Map()));
    byMechanism.set(mechanism, credential);
  }

  /** [user, [[mechanism, credential]...]] pairs: an object keyed by user names would lose a user called "__proto__". */
  private serialize(): StoredUsers {
    return [...this.users].map(([user, byMechanism]) => [user, [...byMechanism].map(([mechanism, c]) =>
      [mechanism, { salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations }])]);
  }
}
