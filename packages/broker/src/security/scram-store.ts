import { join } from 'node:path';
import { type Fs, readCheckpoint, writeCheckpoint } from '@millrace/storage';
import type { ScramCredential, ScramMechanism } from '@millrace/security';

interface StoredCredential {
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}

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
  private readonly fs: Fs;
  private readonly path: string;
  private writing: Promise<void> = Promise.resolve();

  private constructor(fs: Fs, path: string) {
    this.fs = fs;
    this.path = path;
  }

  static async open(fs: Fs, dataDir: string): Promise<ScramCredentialStore> {
    const store = new ScramCredentialStore(fs, join(dataDir, 'scram-credentials.checkpoint'));
    const text = await readCheckpoint(fs, store.path);
    if (text !== null) {
      const stored = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [string, [ScramMechanism, StoredCredential][]][];
      for (const [user, byMechanism] of stored) {
        for (const [mechanism, c] of byMechanism) {
          store.set(user, mechanism as ScramMechanism, {
            salt: Buffer.from(c.salt, 'base64'), storedKey: Buffer.from(c.storedKey, 'base64'), serverKey: Buffer.from(c.serverKey, 'base64'), iterations: c.iterations,
          });
        }
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
    if (changes.length === 0) return this.writing;
    for (const change of changes) {
      if (change.credential) this.set(change.user, change.mechanism, change.credential);
      else {
        this.users.get(change.user)?.delete(change.mechanism);
        if (this.users.get(change.user)?.size === 0) this.users.delete(change.user);
      }
    }
    // Writes are chained, so the last one on disk holds every change applied before it.
    const snapshot = this.serialize();
    this.writing = this.writing.catch(() => undefined).then(() => writeCheckpoint(this.fs, this.path, snapshot));
    return this.writing;
  }

  private set(user: string, mechanism: ScramMechanism, credential: ScramCredential): void {
    let byMechanism = this.users.get(user);
    if (!byMechanism) this.users.set(user, (byMechanism = new Map()));
    byMechanism.set(mechanism, credential);
  }

  /** [user, [[mechanism, credential]...]] pairs: an object keyed by user names would lose a user called "__proto__". */
  private serialize(): string {
    const out = [...this.users].map(([user, byMechanism]) => [user, [...byMechanism].map(([mechanism, c]) =>
      [mechanism, { salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations }])]);
    return Buffer.from(JSON.stringify(out)).toString('base64url');
  }
}
