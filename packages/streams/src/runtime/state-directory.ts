import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryLock } from '@millrace/storage';
import { StreamsError } from '../errors.ts';

const LOCK_FILE = '.lock';

/**
 * An application's state directory, `<stateDir>/<applicationId>`, held by one instance at a time:
 * two instances writing one task's files would each roll back the other's commits.
 */
export class StateDirectory {
  readonly path: string;
  private lock: DirectoryLock | null;

  private constructor(path: string, lock: DirectoryLock) {
    this.path = path;
    this.lock = lock;
  }

  static acquire(stateDir: string, applicationId: string): StateDirectory {
    const path = join(stateDir, applicationId);
    mkdirSync(path, { recursive: true });
    const lock = DirectoryLock.tryAcquire(join(path, LOCK_FILE));
    if (!lock) throw new StreamsError('STATE_LOCKED', `another instance of "${applicationId}" is using the state directory ${path}: give each instance on one host its own stateDir`);
    return new StateDirectory(path, lock);
  }

  /** Deletes every task's files; the lock file stays (deleting it would let another instance lock a new one meanwhile). */
  wipe(): void {
    for (const entry of readdirSync(this.path)) {
      if (entry !== LOCK_FILE) rmSync(join(this.path, entry), { recursive: true, force: true });
    }
  }

  release(): void {
    this.lock?.release();
    this.lock = null;
  }
}
