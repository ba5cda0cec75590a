import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DirectoryLock } from '@millrace/storage';
import { ConfigError } from './config/broker-config.ts';

/** Kafka's name for the lock file of a log directory. */
const LOCK_FILE = '.lock';

/**
 * Creates the data directory if it is missing and takes its lock, before the broker reads or
 * writes anything there: a second broker on the same directory would overwrite the first one's
 * acknowledged records. Every way this can fail is one line naming the directory (a ConfigError).
 */
export function holdDataDirectory(dir: string): DirectoryLock {
  try {
    makeDirectory(dir);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new ConfigError(`data directory ${dir}: ${whyUnusable(err as NodeJS.ErrnoException)}`);
  }
  let lock: DirectoryLock | null;
  try {
    lock = DirectoryLock.tryAcquire(join(dir, LOCK_FILE));
  } catch (err) {
    throw new ConfigError(`data directory ${dir}: files cannot be made there (${(err as Error).message})`);
  }
  if (!lock) throw new ConfigError(`data directory ${dir} is in use by another Millrace broker: stop that one, or give this one another data directory`);
  return lock;
}

/**
 * mkdir -p, but one that fails where a directory cannot be made: Node's own recursive mkdir loops
 * for ever under /proc, where mkdir answers ENOENT although the parent exists.
 */
function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      if (!statSync(dir).isDirectory()) throw err;
      return;
    }
    if (code !== 'ENOENT' || dirname(dir) === dir) throw err;
    makeDirectory(dirname(dir));
    // The parent exists now: ENOENT again means this file system makes no directories here.
    mkdirSync(dir);
  }
}

function whyUnusable(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EEXIST':
    case 'ENOTDIR':
      return 'a file is in the way (the path, or a directory on it, is a file)';
    case 'EACCES':
    case 'EPERM':
      return 'this user may not write there';
    case 'EROFS':
      return 'it is on a read-only file system';
    case 'ENOENT':
      return 'it cannot be made there (a file system that holds no directories of ours, such as /proc?)';
    default:
      return err.message;
  }
}
