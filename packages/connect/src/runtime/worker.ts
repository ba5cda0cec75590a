import type { ConfigMap, Connector } from '../connector.ts';
import { intSetting } from '../config.ts';
import { converterFor } from '../converters/converters.ts';
import { pluginFor } from '../plugins.ts';
import { transformChain } from '../transforms/transforms.ts';
import { COMMON_CONNECTOR_CONFIG } from './connector-config.ts';
import { ErrorReporter } from './error-reporter.ts';
import type { OffsetStore } from './offset-store.ts';
import { SinkTaskRunner } from './sink-task-runner.ts';
import { SourceTaskRunner } from './source-task-runner.ts';
import { failed, type TaskStatus } from './task-state.ts';
import type { WorkerSettings } from './worker-config.ts';

type Runner = SourceTaskRunner | SinkTaskRunner;

interface ConnectorInstance {
  connector: Connector;
  status: TaskStatus;
}

const taskKey = (connector: string, task: number) => `${connector}\u0000${task}`;

/**
 * What one worker process runs: connector instances and tasks, started and stopped as its herder
 * says (the herder decides what runs where; the worker only runs it and reports each one's state).
 */
export class Worker {
  private readonly settings: WorkerSettings;
  private readonly offsets: OffsetStore;
  private readonly log: (message: string) => void;
  private readonly connectors = new Map<string, ConnectorInstance>();
  private readonly tasks = new Map<string, Runner>();

  constructor(settings: WorkerSettings, offsets: OffsetStore, log: (message: string) => void) {
    this.settings = settings;
    this.offsets = offsets;
    this.log = log;
  }

  /** Starts a connector instance (its settings already validated); a failure to start leaves it FAILED with the trace. */
  async startConnector(name: string, config: ConfigMap): Promise<void> {
    const instance: ConnectorInstance = { connector: pluginFor(config['connector.class']).create(), status: { state: 'UNASSIGNED' } };
    this.connectors.set(name, instance);
    try {
      await instance.connector.start(config);
      instance.status = { state: 'RUNNING' };
      this.log(`connector ${name} started`);
    } catch (err) {
      instance.status = failed(err);
      this.log(`connector ${name} failed to start: ${instance.status.trace}`);
    }
  }

  /** The running connector's split of its work into at most `tasks.max` task configurations; none if it is not running. */
  taskConfigs(name: string, config: ConfigMap): ConfigMap[] {
    const instance = this.connectors.get(name);
    if (instance?.status.state !== 'RUNNING') return [];
    try {
      return instance.connector.taskConfigs(intSetting(config, COMMON_CONNECTOR_CONFIG, 'tasks.max'));
    } catch (err) {
      instance.status = failed(err);
      return [];
    }
  }

  async stopConnector(name: string): Promise<void> {
    const instance = this.connectors.get(name);
    if (!instance) return;
    this.connectors.delete(name);
    await Promise.resolve(instance.connector.stop()).catch((err: Error) => this.log(`stopping connector ${name}: ${err.message}`));
  }

  /** Starts task `taskId` of a connector with its own settings; its state says how it goes. */
  startTask(name: string, taskId: number, connectorConfig: ConfigMap, taskConfig: ConfigMap): void {
    const { brokers, flushIntervalMs, sessionTimeoutMs, config: worker } = this.settings;
    const plugin = pluginFor(connectorConfig['connector.class']);
    const common = {
      connector: name, taskId, brokers, flushIntervalMs, log: this.log, config: taskConfig,
      keyConverter: converterFor('key.converter', worker, connectorConfig), valueConverter: converterFor('value.converter', worker, connectorConfig),
      transform: transformChain(connectorConfig),
      errors: new ErrorReporter({ connector: name, taskId, config: connectorConfig, brokers, log: this.log }),
    };
    const connector = plugin.create();
    const runner = connector.type === 'source'
      ? new SourceTaskRunner({ ...common, task: connector.createTask(), offsets: this.offsets })
      : new SinkTaskRunner({ ...common, task: connector.createTask(), sessionTimeoutMs, topics: connectorConfig.topics!.split(',').map((t) => t.trim()).filter(Boolean) });
    this.tasks.set(taskKey(name, taskId), runner);
    runner.start();
  }

  /** Stops a task: a source stores the offsets Kafka acknowledged, a sink flushes and commits. */
  async stopTask(name: string, taskId: number): Promise<void> {
    const runner = this.tasks.get(taskKey(name, taskId));
    if (!runner) return;
    this.tasks.delete(taskKey(name, taskId));
    await runner.stop().catch((err: Error) => this.log(`stopping task ${name}-${taskId}: ${err.message}`));
  }

  connectorStatus(name: string): TaskStatus | undefined {
    return this.connectors.get(name)?.status;
  }

  taskStatus(name: string, taskId: number): TaskStatus | undefined {
    return this.tasks.get(taskKey(name, taskId))?.status;
  }

  /** Stops every task, then every connector. */
  async stop(): Promise<void> {
    await Promise.all([...this.tasks.keys()].map((key) => {
      const [name, taskId] = key.split('\u0000');
      return this.stopTask(name, Number(taskId));
    }));
    await Promise.all([...this.connectors.keys()].map((name) => this.stopConnector(name)));
  }
}
