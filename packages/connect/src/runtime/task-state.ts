/** A connector's or task's state, as Kafka Connect's status API names them. */
export type TaskStateName = 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'FAILED';

export interface TaskStatus {
  state: TaskStateName;
  /** Why it failed: the error's stack. */
  trace?: string;
}

export function failed(err: unknown): TaskStatus {
  return { state: 'FAILED', trace: err instanceof Error ? (err.stack ?? err.message) : String(err) };
}
