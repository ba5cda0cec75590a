import type { Fs } from '@millrace/storage';
import { type AclBinding, type AclFilter, filterMatches } from '@millrace/security';
import { DurableJson } from './durable-json.ts';

const sameBinding = (a: AclBinding, b: AclBinding) =>
  a.resourceType === b.resourceType && a.resourceName === b.resourceName && a.patternType === b.patternType && a.principal === b.principal
  && a.host === b.host && a.operation === b.operation && a.permissionType === b.permissionType;

/**
 * The ACL bindings, in one durable file of the data directory. Creations and deletions are
 * answered only once they are on disk; a binding created twice is kept once.
 */
export class AclStore {
  private bindings: AclBinding[] = [];
  private readonly file: DurableJson<AclBinding[]>;

  private constructor(file: DurableJson<AclBinding[]>) {
    this.file = file;
  }

  static async open(fs: Fs, dataDir: string): Promise<AclStore> {
    const store = new AclStore(new DurableJson(fs, dataDir, 'acls.checkpoint'));
    store.bindings = (await store.file.load()) ?? [];
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
    await this.file.save(this.bindings);
  }

  /** Removes what each filter matches; returns the removed bindings per filter. */
  async delete(filters: AclFilter[]): Promise<AclBinding[][]> {
    const removed = filters.map((f) => this.bindings.filter((b) => filterMatches(f, b)));
    const gone = new Set(removed.flat());
    if (gone.size > 0) {
      this.bindings = this.bindings.filter((b) => !gone.has(b));
      await this.file.save(this.bindings);
    }
    return removed;
  }
}
