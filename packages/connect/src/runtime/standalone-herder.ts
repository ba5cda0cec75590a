import { Admin } from '@millrace/client';
import type { ConfigMap } from '../connector.ts';
import { ConnectError } from '../errors.ts';
import { checkConnectorConfig } from './connector-config.ts';
import { alterOffsets, type ConnectorOffset, readOffsets, requireStopped } from './connector-offsets.ts';
import { type ConnectorInfo, type ConnectorStatus, type Herder, type RestartRequest, restartPlan, type StateInfo, type TargetState, type TaskId } from './herder.ts';
import { OffsetFileStore } from './offset-file-store.ts';
import type { TaskStatus } from './task-state.ts';
import { Worker } from './worker.ts';
import type { WorkerSettings } from './worker-config.ts';

interface ConnectorState {
  config: ConfigMap;
  type: 'source' | 'sink';
  target: TargetState;
  taskConfigs: ConfigMap[];
}

/**
 * The standalone herder: every connector and task runs in this one worker, source offsets are kept
 * in `offset.storage.file.filename`, and connector settings live only as long as the process (the
 * files named on the command line start it again). Changes run one at a time, in order.
 */
export class StandaloneHerder implements Herder {
  readonly workerId: string;
  readonly workerConfig: ConfigMap;
  private readonly worker: Worker;
  private readonly offsetStore: OffsetFileStore;
  private readonly admin: Admin;
  private readonly connectorStates = new Map<string, ConnectorState>();
  private changes: Promise<unknown> = Promise.resolve();

  constructor(settings: WorkerSettings, workerId: string, log: (message: string) => void) {
    this.workerId = workerId;
    this.workerConfig = settings.config;
    this.offsetStore = new OffsetFileStore(settings.config['offset.storage.file.filename']);
    this.worker = new Worker(settings, this.offsetStore, log);
    this.admin = new Admin({ brokers: settings.brokers, clientId: 'connect-herder-admin' });
  }

  /** Runs one change after those before it. */
  private serially<T>(change: () => Promise<T>): Promise<T> {
    const next = this.changes.then(change);
    this.changes = next.catch(() => undefined);
    return next;
  }

  private state(name: string): ConnectorState {
    const state = this.connectorStates.get(name);
    if (!state) throw new ConnectError('NOT_FOUND', `Connector ${name} not found`);
    return state;
  }

  async connectors(): Promise<string[]> {
    return [...this.connectorStates.keys()].sort();
  }

  async connectorInfo(name: string): Promise<ConnectorInfo> {
    const { config, type, taskConfigs } = this.state(name);
    return { name, config, tasks: taskConfigs.map((_, task) => ({ connector: name, task })), type };
  }

  putConnectorConfig(name: string, config: ConfigMap, options: { allowReplace: boolean; initialState?: TargetState }): Promise<{ created: boolean; info: ConnectorInfo }> {
    return this.serially(async () => {
      const plugin = checkConnectorConfig(config, this.workerConfig);
      const existing = this.connectorStates.get(name);
      if (existing && !options.allowReplace) throw new ConnectError('CONFLICT', `Connector ${name} already exists`);
      if (existing) await this.stopConnector(name, existing);
      this.connectorStates.set(name, { config, type: plugin.type, target: existing?.target ?? options.initialState ?? 'STARTED', taskConfigs: [] });
      await this.startConnector(name);
      return { created: !existing, info: await this.connectorInfo(name) };
    });
  }

  deleteConnector(name: string): Promise<void> {
    return this.serially(async () => {
      await this.stopConnector(name, this.state(name));
      this.connectorStates.delete(name);
    });
  }

  setTargetState(name: string, target: TargetState): Promise<void> {
    return this.serially(async () => {
      const state = this.state(name);
      if (state.target === target) return;
      await this.stopConnector(name, state);
      state.target = target;
      await this.startConnector(name);
    });
  }

  async restartConnector(name: string, request: RestartRequest): Promise<ConnectorStatus> {
    const plan = restartPlan(await this.connectorStatus(name), request);
    void this.serially(async () => {
      const state = this.state(name);
      if (state.target === 'STOPPED') return;
      if (plan.connector) {
        await this.worker.stopConnector(name);
        await this.worker.startConnector(name, state.config);
        const taskConfigs = this.worker.taskConfigs(name, state.config);
        // New task settings (the connector split its work differently) restart every task with them.
        if (JSON.stringify(taskConfigs) !== JSON.stringify(state.taskConfigs)) {
          await this.stopConnector(name, state);
          return this.startConnector(name);
        }
      }
      for (const task of plan.tasks) await this.restartTaskNow(name, state, task);
    }).catch(() => undefined);
    return plan.status;
  }

  restartTask(name: string, task: number): Promise<void> {
    return this.serially(() => this.restartTaskNow(name, this.state(name), task));
  }

  private async restartTaskNow(name: string, state: ConnectorState, task: number): Promise<void> {
    if (task < 0 || task >= state.taskConfigs.length || !Number.isInteger(task)) throw new ConnectError('NOT_FOUND', `Task ${name}-${task} not found`);
    await this.worker.stopTask(name, task);
    if (state.target === 'STARTED') this.worker.startTask(name, task, state.config, state.taskConfigs[task]);
  }

  async connectorStatus(name: string): Promise<ConnectorStatus> {
    const { target, taskConfigs, type } = this.state(name);
    const info = (status: TaskStatus | undefined): StateInfo => {
      const state = status?.state === 'FAILED' ? 'FAILED' : target === 'STOPPED' ? 'STOPPED' : target === 'PAUSED' ? 'PAUSED' : (status?.state ?? 'UNASSIGNED');
      return { state, worker_id: this.workerId, ...(state === 'FAILED' ? { trace: status!.trace } : {}) };
    };
    return {
      name,
      connector: info(this.worker.connectorStatus(name)),
      tasks: taskConfigs.map((_, id) => ({ id, ...info(this.worker.taskStatus(name, id)) })),
      type,
    };
  }

  async taskConfigs(name: string): Promise<{ id: TaskId; config: ConfigMap }[]> {
    return this.state(name).taskConfigs.map((config, task) => ({ id: { connector: name, task }, config }));
  }

  async offsets(name: string): Promise<ConnectorOffset[]> {
    return readOffsets(this.state(name).type, name, this.offsetStore, this.admin);
  }

  alterOffsets(name: string, offsets: ConnectorOffset[] | 'reset'): Promise<void> {
    return this.serially(async () => {
      const state = this.state(name);
      requireStopped(name, state.target);
      await alterOffsets(state.type, name, this.offsetStore, this.admin, offsets);
    });
  }

  /** Starts what the connector's target state asks for: its instance unless STOPPED, its tasks only if STARTED. */
  private async startConnector(name: string): Promise<void> {
    const state = this.state(name);
    if (state.target === 'STOPPED') return;
    await this.worker.startConnector(name, state.config);
    state.taskConfigs = this.worker.taskConfigs(name, state.config);
    if (state.target === 'STARTED') for (const [task, config] of state.taskConfigs.entries()) this.worker.startTask(name, task, state.config, config);
  }

  private async stopConnector(name: string, state: ConnectorState): Promise<void> {
    await Promise.all(state.taskConfigs.map((_, task) => this.worker.stopTask(name, task)));
    await this.worker.stopConnector(name);
    state.taskConfigs = [];
  }

  stop(): Promise<void> {
    return this.serially(async () => {
      await this.worker.stop();
      await this.admin.close();
    });
  }
}
