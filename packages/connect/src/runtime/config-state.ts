import type { ConfigMap } from '../connector.ts';
import type { TargetState } from './herder.ts';
import type { LogRecord } from './topic-log.ts';

/** What one record of the config topic changed. */
export type ConfigChange =
  | { kind: 'connector' | 'tasks' | 'target'; name: string }
  | { kind: 'restart-connector'; name: string; includeTasks: boolean; onlyFailed: boolean }
  | { kind: 'restart-task'; name: string; task: number }
  | { kind: 'none' };

/** `prefix-<name>-<n>` split into name and number (a connector's name may hold dashes). */
function nameAndNumber(rest: string): { name: string; n: number } | null {
  const dash = rest.lastIndexOf('-');
  if (dash <= 0 || !/^\d+$/.test(rest.slice(dash + 1))) return null;
  return { name: rest.slice(0, dash), n: Number(rest.slice(dash + 1)) };
}

/**
 * The connectors' settings as the config topic holds them, keyed as Kafka Connect keys them:
 * `connector-<name>` (its settings; a tombstone deletes it), `task-<name>-<n>` (one task's
 * settings, visible only once `commit-<name>` says how many there are), `target-state-<name>`, and
 * restart requests.
 */
export class ConfigState {
  /** The offset of the last record read; -1 before any. */
  offset = -1;
  readonly connectors = new Map<string, ConfigMap>();
  readonly taskConfigs = new Map<string, ConfigMap[]>();
  readonly targetStates = new Map<string, TargetState>();
  private readonly uncommittedTasks = new Map<string, Map<number, ConfigMap>>();

  targetState(name: string): TargetState {
    return this.targetStates.get(name) ?? 'STARTED';
  }

  apply(record: LogRecord): ConfigChange {
    this.offset = record.offset;
    const key = record.key ?? '';
    const value = record.value === null ? null : (JSON.parse(record.value) as Record<string, unknown>);
    if (key.startsWith('connector-')) {
      const name = key.slice('connector-'.length);
      if (value === null) {
        this.connectors.delete(name);
        this.taskConfigs.delete(name);
        this.targetStates.delete(name);
      } else this.connectors.set(name, value.properties as ConfigMap);
      return { kind: 'connector', name };
    }
    if (key.startsWith('task-')) {
      const id = nameAndNumber(key.slice('task-'.length));
      if (!id || value === null) return { kind: 'none' };
      let pending = this.uncommittedTasks.get(id.name);
      if (!pending) this.uncommittedTasks.set(id.name, (pending = new Map()));
      pending.set(id.n, value.properties as ConfigMap);
      return { kind: 'none' };
    }
    if (key.startsWith('commit-')) {
      const name = key.slice('commit-'.length);
      const count = Number(value?.tasks ?? 0);
      const pending = this.uncommittedTasks.get(name) ?? new Map<number, ConfigMap>();
      const previous = this.taskConfigs.get(name) ?? [];
      // A commit makes the task settings written before it visible together; any it lacks is kept from before.
      this.taskConfigs.set(name, Array.from({ length: count }, (_, i) => pending.get(i) ?? previous[i] ?? {}));
      this.uncommittedTasks.delete(name);
      return { kind: 'tasks', name };
    }
    if (key.startsWith('target-state-')) {
      const name = key.slice('target-state-'.length);
      if (value === null) this.targetStates.delete(name);
      else this.targetStates.set(name, (value['state.v2'] ?? value.state) as TargetState);
      return { kind: 'target', name };
    }
    if (key.startsWith('restart-connector-') && value !== null) {
      return { kind: 'restart-connector', name: key.slice('restart-connector-'.length), includeTasks: value['include-tasks'] === true, onlyFailed: value['only-failed'] === true };
    }
    if (key.startsWith('restart-task-') && value !== null) {
      const id = nameAndNumber(key.slice('restart-task-'.length));
      return id ? { kind: 'restart-task', name: id.name, task: id.n } : { kind: 'none' };
    }
    return { kind: 'none' };
  }
}

/** The records that set a connector's target state, as Kafka Connect writes them (v1 readers see PAUSED for STOPPED). */
export function targetStateValue(state: TargetState): string {
  return JSON.stringify({ state: state === 'STOPPED' ? 'PAUSED' : state, 'state.v2': state });
}
