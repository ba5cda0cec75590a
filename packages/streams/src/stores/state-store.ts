/**
 * What a store gets from the task that owns it: where its changes go (the store's changelog
 * partition, when it has one) and where a persistent store keeps its files.
 */
export interface StoreContext {
  readonly taskId: string;
  readonly partition: number;
  /** The task's state directory, `<stateDir>/<applicationId>/<taskId>`; null keeps a persistent store in memory (the test driver). */
  readonly directory: string | null;
  /** Writes one change to the store's changelog (no-op for a store without one). */
  log(key: Buffer, value: Buffer | null, timestamp: number): void;
}

/** Every store: filled by its processors, and rebuilt from its changelog on start. */
export interface StateStore {
  readonly name: string;
  init(context: StoreContext): void;
  /** Applies one changelog record while restoring: no changelog write happens for it. */
  restore(key: Buffer, value: Buffer | null): void;
  /**
   * Where restoring starts, given the changelog's end: 0 for a store that starts empty; for a
   * persistent one, the offset its committed state reaches (its state is dropped, and 0 returned,
   * when the changelog ends before it: the changelog is not the one the state came from).
   */
  restoreFrom(changelogEnd: number): number;
  /** The changes so far are in the changelog, which reaches `changelogEnd` (null: as it did at the last commit). */
  commit(changelogEnd: number | null): void;
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
  /** Whether it keeps its state in files under the state directory, from one run to the next. */
  readonly persistent: boolean;
  /** Topic configs of the changelog: compact for key-value stores, compact,delete with a retention for windowed ones. */
  readonly changelogConfigs: Record<string, string>;
  build(): StateStore;
}

export const NO_LOG: StoreContext = { taskId: '', partition: 0, directory: null, log: () => undefined };

/** The ordered map key of a serialized key: a latin1 string compares as the bytes do. */
export function byteKey(bytes: Buffer): string {
  return bytes.toString('latin1');
}
