import type { ConfigMap } from '../connector.ts';
import type { ConnectorOffset } from './connector-offsets.ts';

/** What a connector is asked to be: running, paused (tasks stopped, kept), or stopped (tasks dropped). */
export type TargetState = 'STARTED' | 'PAUSED' | 'STOPPED';

export interface TaskId {
  connector: string;
  task: number;
}

/** A connector as the REST API gives it (`GET /connectors/{name}`). */
export interface ConnectorInfo {
  name: string;
  config: ConfigMap;
  tasks: TaskId[];
  type: 'source' | 'sink';
}

export interface StateInfo {
  state: 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'RESTARTING';
  worker_id: string;
  trace?: string;
}

/** `GET /connectors/{name}/status`. */
export interface ConnectorStatus {
  name: string;
  connector: StateInfo;
  tasks: (StateInfo & { id: number })[];
  type: 'source' | 'sink';
}

export interface RestartRequest {
  includeTasks: boolean;
  onlyFailed: boolean;
}

/**
 * Decides which connectors and tasks run, and where: the standalone herder runs them all in its
 * own worker, the distributed one spreads them over the workers of a group. The REST API drives
 * every worker through this. Unknown names throw NOT_FOUND, bad settings INVALID_CONFIG, a clash
 * CONFLICT.
 */
export interface Herder {
  /** This worker's id (`host:port` of its REST API), as statuses name it. */
  readonly workerId: string;
  connectors(): Promise<string[]>;
  connectorInfo(name: string): Promise<ConnectorInfo>;
  /** Creates or replaces a connector; `created` says which. */
  putConnectorConfig(name: string, config: ConfigMap, options: { allowReplace: boolean; initialState?: TargetState }): Promise<{ created: boolean; info: ConnectorInfo }>;
  deleteConnector(name: string): Promise<void>;
  setTargetState(name: string, state: TargetState): Promise<void>;
  /** Restarts the connector and, if asked, its (failed) tasks; says what it restarts. */
  restartConnector(name: string, request: RestartRequest): Promise<ConnectorStatus>;
  restartTask(name: string, task: number): Promise<void>;
  connectorStatus(name: string): Promise<ConnectorStatus>;
  taskConfigs(name: string): Promise<{ id: TaskId; config: ConfigMap }[]>;
  /** A source's stored offsets, or a sink's committed ones. */
  offsets(name: string): Promise<ConnectorOffset[]>;
  /** Alters (or with 'reset', forgets) the connector's offsets; only while it is STOPPED. */
  alterOffsets(name: string, offsets: ConnectorOffset[] | 'reset'): Promise<void>;
  /** The worker's settings, for validating connector settings against its converters. */
  readonly workerConfig: ConfigMap;
  stop(): Promise<void>;
}

/**
 * What a restart request restarts, given the connector's status: the connector unless only failed
 * ones are asked for and it did not fail; its tasks only if asked, and then only the failed ones
 * if so asked. The status returned shows those as RESTARTING.
 */
export function restartPlan(status: ConnectorStatus, request: RestartRequest): { connector: boolean; tasks: number[]; status: ConnectorStatus } {
  const connector = !request.onlyFailed || status.connector.state === 'FAILED';
  const tasks = request.includeTasks ? status.tasks.filter((t) => !request.onlyFailed || t.state === 'FAILED').map((t) => t.id) : [];
  const restarting = (s: StateInfo): StateInfo => ({ state: 'RESTARTING', worker_id: s.worker_id });
  return {
    connector,
    tasks,
    status: {
      ...status,
      connector: connector ? restarting(status.connector) : status.connector,
      tasks: status.tasks.map((t) => (tasks.includes(t.id) ? { id: t.id, ...restarting(t) } : t)),
    },
  };
}
