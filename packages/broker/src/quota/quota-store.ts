import type { Fs } from '@millrace/storage';
import { type ClusterJsonDocument, DocumentState } from '../security/json-document.ts';
import { entityKey, lookupOrder, type QuotaEntity, type QuotaKey } from './quota-entities.ts';

export interface QuotaEntry {
  entity: QuotaEntity;
  values: Partial<Record<QuotaKey, number>>;
}

export interface QuotaChange {
  entity: QuotaEntity;
  set: Partial<Record<QuotaKey, number>>;
  remove: QuotaKey[];
}

/** `entries` with `changes` applied; an entity left with no value is dropped. */
function applied(entries: QuotaEntry[], changes: QuotaChange[]): QuotaEntry[] {
  const byEntity = new Map(entries.map((e) => [entityKey(e.entity), e]));
  for (const { entity, set, remove } of changes) {
    const key = entityKey(entity);
    const values = { ...byEntity.get(key)?.values, ...set };
    for (const k of remove) delete values[k];
    if (Object.keys(values).length === 0) byEntity.delete(key);
    else byEntity.set(key, { entity, values });
  }
  return [...byEntity.values()];
}

/**
 * The client quotas set with AlterClientQuotas, in one durable file of the data directory (in a
 * cluster, one document every broker shares). Changes are answered only once they are durable.
 */
export class QuotaStore {
  private entries = new Map<string, QuotaEntry>();
  private state!: DocumentState<QuotaEntry[]>;
  /** The keys set on some entity: a request whose quota kinds are all unset costs no lookup. */
  private readonly keysInUse = new Set<string>();

  static async open(fs: Fs, dataDir: string): Promise<QuotaStore> {
    const store = new QuotaStore();
    store.state = await DocumentState.open<QuotaEntry[]>(fs, dataDir, 'client-quotas.checkpoint', [], (entries) => store.index(entries));
    return store;
  }

  /** Moves the quotas to the cluster's document, shared by every broker. */
  share(document: ClusterJsonDocument<QuotaEntry[]>): Promise<void> {
    return this.state.share(document);
  }

  all(): QuotaEntry[] {
    return [...this.entries.values()];
  }

  get(entity: QuotaEntity): QuotaEntry | undefined {
    return this.entries.get(entityKey(entity));
  }

  async alter(changes: QuotaChange[]): Promise<void> {
    await this.state.update((entries) => applied(entries, changes));
  }

  /** Whether any entity sets `key`. */
  uses(key: QuotaKey): boolean {
    return this.keysInUse.has(key);
  }

  private index(entries: QuotaEntry[]): void {
    this.entries = new Map(entries.map((e) => [entityKey(e.entity), e]));
    this.keysInUse.clear();
    for (const entry of entries) for (const key of Object.keys(entry.values)) this.keysInUse.add(key);
  }

  /**
   * The quota `key` that applies to a user's client, and the entity it was found on with its
   * defaults filled in: the clients that share that filled-in entity share the rate.
   */
  lookup(key: QuotaKey, user: string, clientId: string): { value: number; shared: QuotaEntity } | null {
    if (!this.keysInUse.has(key)) return null;
    for (const entity of lookupOrder(user, clientId)) {
      const value = this.get(entity)?.values[key];
      if (value === undefined) continue;
      const shared: QuotaEntity = {};
      if ('user' in entity) shared.user = user;
      if ('client-id' in entity) shared['client-id'] = clientId;
      return { value, shared };
    }
    return null;
  }

  /** The connection_creation_rate for one IP address: its own, else the IP default. */
  ipConnectionRate(ip: string): number | null {
    return this.get({ ip })?.values.connection_creation_rate ?? this.get({ ip: null })?.values.connection_creation_rate ?? null;
  }
}
