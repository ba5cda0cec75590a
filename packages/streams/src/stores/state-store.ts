/**
 * What a store gets from the task that owns it: where its changes go (the store's changelog
 * partition, when it has one) and the task's time.
 */
export interface StoreContext {
  readonly taskId: string;
  readonly partition: number;
  /** Writes one change to the store's changelog (no-op for a store without one). */
  log(key: Buffer, value: Buffer | null, timestamp: number): void;
}

/** Every store: filled by its processors, and rebuilt from its changelog on start. */
export interface StateStore {
  readonly name: string;
  init(context: StoreContext): void;
  /** Applies one changelog record while restoring: no changelog write happens for it. */
  restore(key: Buffer, value: Buffer | null): void;
  /** Drops what the store no longer keeps (windows past retention); called at each commit. */
  flush(): void;
  close(): void;
}

/** A store as a topology declares it: made once per task. */
export interface StoreBuilder {
  readonly name: string;
  readonly kind: 'key-value' | 'window' | 'session';
  /** Whether the store writes a changelog topic `<applicationId>-<name>-changelog` to be restored from. */
  readonly logged: boolean;
  /** Topic configs of the changelog: compact for key-value stores, compact,delete with a retention for windowed ones. */
  readonly changelogConfigs: Record<string, string>;
  build(): StateStore;
}

export const NO_LOG: StoreContext = { taskId: '', partition: 0, log: () => undefined };

/** The ordered map key of a serialized key: a latin1 string compares as the bytes do. */
export function byteKey(bytes: Buffer): string {
  return bytes.toString('latin1');
}
