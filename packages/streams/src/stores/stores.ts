import type { Serde } from '../serdes.ts';
import { keyValueStoreBuilder, type StoreType } from './key-value-store.ts';
import { sessionStoreBuilder } from './session-store.ts';
import type { StoreBuilder } from './state-store.ts';
import { windowStoreBuilder } from './window-store.ts';

/**
 * Stores for the Processor API, restored on start from a changelog topic
 * `<applicationId>-<name>-changelog` unless `logged` is false. Key-value stores may be
 * `type: 'persistent'` (a SQLite file per task under the state directory); the others are in memory.
 */
export const Stores = {
  keyValue<K, V>(name: string, key: Serde<K>, value: Serde<V>, options: { logged?: boolean; type?: StoreType } = {}): StoreBuilder {
    return keyValueStoreBuilder(name, key, value, options);
  },
  window<K, V>(name: string, key: Serde<K>, value: Serde<V>, options: { retentionMs: number; retainDuplicates?: boolean; logged?: boolean }): StoreBuilder {
    return windowStoreBuilder(name, key, value, options.retentionMs, options.retainDuplicates ?? false, options.logged ?? true);
  },
  session<K, V>(name: string, key: Serde<K>, value: Serde<V>, options: { retentionMs: number; logged?: boolean }): StoreBuilder {
    return sessionStoreBuilder(name, key, value, options.retentionMs, options.logged ?? true);
  },
} as const;
