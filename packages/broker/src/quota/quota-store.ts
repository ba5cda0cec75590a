import type { Fs } from '@millrace/storage';
import { DurableJson } from '../security/durable-json.ts';
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

/**
 * The client quotas set with AlterClientQuotas, in one durable file of the data directory. Changes
 * are answered only once they are on disk; an entity left with no value is forgotten.
 */
export class QuotaStore {
  private readonly entries = new Map<string, QuotaEntry>();
  private readonly file: DurableJson<QuotaEntry[]>;
  /** The keys set on some entity: a request whose quota kinds are all unset costs no lookup. */
  private readonly keysInUse = new Set<string>();

  private constructor(file: DurableJson<QuotaEntry[]>) {
    this.file = file;
  }

  static async open(fs: Fs, dataDir: string): Promise<QuotaStore> {
    const store = new QuotaStore(new DurableJson(fs, dataDir, 'client-quotas.checkpoint'));
    for (const entry of (await store.file.load()) ?? []) store.entries.set(entityKey(entry.entity), entry);
    store.noteKeys();
    return store;
  }

  all(): QuotaEntry[] {
    return [...this.entries.values()];
  }

  get(entity: QuotaEntity): QuotaEntry | undefined {
    return this.entries.get(entityKey(entity));
  }

  async alter(changes: QuotaChange[]): Promise<void> {
    for (const { entity, set, remove } of changes) {
      const key = entityKey(entity);
      const values = { ...this.entries.get(key)?.values, ...set };
      for (const k of remove) delete values[k];
      if (Object.keys(values).length === 0) this.entries.delete(key);
      else this.entries.set(key, { entity, values });
    }
    this.noteKeys();
    await this.file.save(this.all());
  }

  /** Whether any entity sets `key`. */
  uses(key: QuotaKey): boolean {
    return this.keysInUse.has(key);
  }

  private noteKeys(): void {
    this.keysInUse.clear();
    for (const entry of this.entries.values()) for (const key of Object.keys(entry.values)) this.keysInUse.add(key);
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
