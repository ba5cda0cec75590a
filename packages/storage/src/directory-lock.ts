import { DatabaseSync } from 'node:sqlite';

/** SQLite's answer when another connection holds the lock. */
const SQLITE_BUSY = 5;

/**
 * A directory held by one process at a time: two writers of one log would overwrite each other's
 * acknowledged records. The hold is an exclusive SQLite lock on a lock file in the directory. It is
 * an operating-system lock, released when the process ends however it ends, so a SIGKILLed holder
 * leaves no stale lock behind; SQLite also refuses a second holder within the same process.
 */
export class DirectoryLock {
  private db: DatabaseSync | null;

  private constructor(db: DatabaseSync) {
    this.db = db;
  }

  /** Takes the lock held through `file`, or returns null when another holder has it. */
  static tryAcquire(file: string): DirectoryLock | null {
    const db = new DatabaseSync(file);
    try {
      // No journal file: the lock file is all the directory gets.
      db.exec('PRAGMA journal_mode = MEMORY; PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE');
    } catch (err) {
      db.close();
      if ((err as { errcode?: number }).errcode === SQLITE_BUSY) return null;
      throw err;
    }
    return new DirectoryLock(db);
  }

  release(): void {
    this.db?.close();
    this.db = null;
  }
}
