import type { Fs } from '@millrace/storage';
import { type AclBinding, type AclFilter, filterMatches } from '@millrace/security';
import { type ClusterJsonDocument, DocumentState } from './json-document.ts';

const sameBinding = (a: AclBinding, b: AclBinding) =>
  a.resourceType === b.resourceType && a.resourceName === b.resourceName && a.patternType === b.patternType && a.principal === b.principal
  && a.host === b.host && a.operation === b.operation && a.permissionType === b.permissionType;

/**
 * The ACL bindings, in one durable file of the data directory (in a cluster, one document every
 * broker shares). Creations and deletions are answered only once they are durable; a binding
 * created twice is kept once.
 */
export class AclStore {
  private readonly state: DocumentState<AclBinding[]>;

  private constructor(state: DocumentState<AclBinding[]>) {
    this.state = state;
  }

  static async open(fs: Fs, dataDir: string): Promise<AclStore> {
    return new AclStore(await DocumentState.open<AclBinding[]>(fs, dataDir, 'acls.checkpoint', []));
  }

  /** Moves the bindings to the cluster's document, shared by every broker. */
  share(document: ClusterJsonDocument<AclBinding[]>): Promise<void> {
    return this.state.share(document);
  }

  all(): readonly AclBinding[] {
    return this.state.value;
  }

  describe(filter: AclFilter): AclBinding[] {
    return this.state.value.filter((b) => filterMatches(filter, b));
  }

  async create(bindings: AclBinding[]): Promise<void> {
    await this.state.update((current) => [...current, ...bindings.filter((b, i) =>
      !current.some((existing) => sameBinding(existing, b)) && bindings.findIndex((other) => sameBinding(other, b)) === i).map((b) => ({ ...b }))]);
  }

  /** Removes what each filter matches; returns the removed bindings per filter. */
  async delete(filters: AclFilter[]): Promise<AclBinding[][]> {
    let removed: AclBinding[][] = [];
    await this.state.update((current) => {
      removed = filters.map((f) => current.filter((b) => filterMatches(f, b)));
      const gone = new Set(removed.flat());
      return current.filter((b) => !gone.has(b));
    });
    return removed;
  }
}
