import { join } from 'node:path';
import { type Fs, readCheckpoint, writeCheckpoint } from '@millrace/storage';

/**
 * One JSON value in a checkpoint file of the data directory (CRC-checked, replaced atomically).
 * Writes are chained, so the last one on disk holds every change saved before it.
 */
export class DurableJson<T> {
  private readonly fs: Fs;
  private readonly path: string;
  private writing: Promise<void> = Promise.resolve();

  constructor(fs: Fs, dataDir: string, name: string) {
    this.fs = fs;
    this.path = join(dataDir, name);
  }

  /** The stored value, or null before the first save. */
  async load(): Promise<T | null> {
    const text = await readCheckpoint(this.fs, this.path);
    return text === null ? null : JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as T;
  }

  /** Saves `value` (as it is now) and resolves once it is durable. */
  save(value: T): Promise<void> {
    const snapshot = Buffer.from(JSON.stringify(value)).toString('base64url');
    this.writing = this.writing.catch(() => undefined).then(() => writeCheckpoint(this.fs, this.path, snapshot));
    return this.writing;
  }
}
