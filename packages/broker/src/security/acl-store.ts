import { join } from 'node:path';
import { type Fs, readCheckpoint, writeCheckpoint } from '@millrace/storage';
import { type AclBinding, type AclFilter, filterMatches } from '@millrace/security';

const sameBinding = (a: AclBinding, b: AclBinding) =>
  a.resourceType === b.resourceType && a.resourceName === b.resourceName && a.patternType === b.patternType && a.principal === b.principal
  && a.host === b.host && a.operation === b.operation && a.permissionType === b.permissionType;

/**
 * The ACL bindings, in one durable file of the data directory. Creations and deletions are
 * answered only once they are on disk; a binding created twice is kept once.
 */
export class AclStore {
  private bindings: AclBinding[] = [];
  private readonly fs: Fs;
  private readonly path: string;
  private writing: Promise<void> = Promise.resolve();

  private constructor(fs: Fs, path: string) {
    this.fs = fs;
    this.path = path;
  }

  static async open(fs: Fs, dataDir: string): Promise<AclStore> {
    const store = new AclStore(fs, join(dataDir, 'acls.checkpoint'));
    const text = await readCheckpoint(fs, store.path);
    if (text !== null) store.bindings = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as AclBinding[];
    return store;
  }

  all(): readonly AclBinding[] {
    return this.bindings;
  }

  describe(filter: AclFilter): AclBinding[] {
    return this.bindings.filter((b) => filterMatches(filter, b));
  }

  async create(bindings: AclBinding[]): Promise<void> {
    for (const b of bindings) if (!this.bindings.some((existing) => sameBinding(existing, b))) this.bindings.push({ ...b });
    await this.persist();
  }

  /** Removes what each filter matches; returns the removed bindings per filter. */
  async delete(filters: AclFilter[]): Promise<AclBinding[][]> {
    const removed = filters.map((f) => this.bindings.filter((b) => filterMatches(f, b)));
    const gone = new Set(removed.flat());
    if (gone.size > 0) {
      this.bindings = this.bindings.filter((b) => !gone.has(b));
      await this.persist();
    }
    return removed;
  }

  /** Writes are chained, so the last one on disk holds every change made before it. */
  private persist(): Promise<void> {
    const snapshot = Buffer.from(JSON.stringify(this.bindings)).toString('base64url');
    this.writing = this.writing.catch(() => undefined).then(() => writeCheckpoint(this.fs, this.path, snapshot));
    return this.writing;
  }
}
