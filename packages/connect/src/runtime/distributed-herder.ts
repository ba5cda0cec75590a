import { Admin, Cluster, type GroupProtocol, GroupMembership, type JoinedGroup, type ProtocolMember } from '@millrace/client';
import type { ConfigMap } from '../connector.ts';
import { intSetting } from '../config.ts';
import { ConnectError } from '../errors.ts';
import { pluginFor } from '../plugins.ts';
import { ConfigState, targetStateValue } from './config-state.ts';
import { assignRoundRobin, CONNECT_PROTOCOL_NAME, decodeAssignment, encodeAssignment, encodeWorkerState, type WorkerAssignment } from './connect-protocol.ts';
import { checkConnectorConfig } from './connector-config.ts';
import { alterOffsets, type ConnectorOffset, readOffsets, requireStopped } from './connector-offsets.ts';
import { DISTRIBUTED_WORKER_CONFIG, internalTopics } from './distributed-worker-config.ts';
import { type ConnectorInfo, type ConnectorStatus, type Herder, type RestartRequest, restartPlan, type StateInfo, type TargetState, type TaskId } from './herder.ts';
import { KafkaOffsetStore } from './kafka-offset-store.ts';
import type { TaskStatus } from './task-state.ts';
import { type LogRecord, TopicLog } from './topic-log.ts';
import { Worker } from './worker.ts';
import type { WorkerSettings } from './worker-config.ts';

interface StatusRecord {
  state: StateInfo['state'];
  trace: string | null;
  worker_id: string;
  generation: number;
}

const NO_ASSIGNMENT: WorkerAssignment = { error: 0, leader: '', leaderUrl: '', configOffset: -1n, connectors: [], tasks: [] };
const taskKey = (name: string, task: number) => `${name}\u0000${task}`;

/**
 * The distributed herder: workers sharing a `group.id` form a group (protocol type "connect") whose
 * leader deals connectors and tasks out round-robin; settings live in the config topic, source
 * offsets in the offsets topic and states in the status topic, so any worker answers any REST
 * call and a dead worker's work moves to the others. The protocol is eager: every rebalance stops
 * what a worker runs and starts what it is given.
 */
export class DistributedHerder implements Herder, GroupProtocol {
  readonly protocolType = 'connect';
  readonly workerId: string;
  readonly workerConfig: ConfigMap;
  private readonly restUrl: string;
  private readonly log: (message: string) => void;
  private readonly admin: Admin;
  private readonly cluster: Cluster;
  private readonly membership: GroupMembership;
  private readonly worker: Worker;
  private readonly config = new ConfigState();
  private readonly offsetStore = new KafkaOffsetStore();
  private readonly statuses = new Map<string, StatusRecord>();
  private readonly configLog: TopicLog;
  private readonly offsetLog: TopicLog;
  private readonly statusLog: TopicLog;
  /** Set once the config topic was read through at start: restart requests after that are acted on. */
  private loaded = false;
  private assignment = NO_ASSIGNMENT;
  private generation = -1;
  /** The config offset of the last record that changed which connectors and tasks there are. */
  private shapeChangedAt = -1;
  private readonly runningConnectors = new Map<string, string>();
  private readonly runningTasks = new Map<string, string>();
  /** The statuses this worker wrote last, by key, so that only changes are written. */
  private readonly written = new Map<string, string>();
  private changes: Promise<unknown> = Promise.resolve();
  private statusTimer: NodeJS.Timeout | null = null;
  /** Told when the worker cannot go on (its group refuses it): the process should stop. */
  onFatal: (err: Error) => void = () => undefined;

  constructor(settings: WorkerSettings, workerId: string, restUrl: string, log: (message: string) => void) {
    this.workerId = workerId;
    this.workerConfig = settings.config;
    this.restUrl = restUrl;
    this.log = log;
    const { config } = settings;
    this.admin = new Admin({ brokers: settings.brokers, clientId: `connect-${workerId}-admin` });
    this.cluster = new Cluster({ brokers: settings.brokers, clientId: `connect-${workerId}` });
    this.membership = new GroupMembership(this.cluster, {
      groupId: config['group.id'],
      groupInstanceId: null,
      sessionTimeoutMs: intSetting(config, DISTRIBUTED_WORKER_CONFIG, 'session.timeout.ms'),
      rebalanceTimeoutMs: intSetting(config, DISTRIBUTED_WORKER_CONFIG, 'rebalance.timeout.ms'),
      heartbeatIntervalMs: intSetting(config, DISTRIBUTED_WORKER_CONFIG, 'heartbeat.interval.ms'),
    }, this);
    this.worker = new Worker(settings, this.offsetStore, log);
    const topics = internalTopics(config);
    const logOf = (topic: typeof topics.config, onRecord: (r: LogRecord) => void) => new TopicLog({ ...topic, brokers: settings.brokers, admin: this.admin, clientId: `connect-${workerId}`, onRecord });
    this.configLog = logOf(topics.config, (r) => this.onConfigRecord(r));
    this.offsetLog = logOf(topics.offset, (r) => this.offsetStore.apply(r));
    this.statusLog = logOf(topics.status, (r) => this.onStatusRecord(r));
    this.offsetStore.log = this.offsetLog;
  }

  /** Reads the three topics through, then joins the group. */
  async start(): Promise<void> {
    await this.configLog.start();
    await this.offsetLog.start();
    await this.statusLog.start();
    this.loaded = true;
    this.membership.start();
    this.statusTimer = setInterval(() => void this.serially(() => this.publishStatuses()).catch(() => undefined), 1000);
  }

  private serially<T>(change: () => Promise<T>): Promise<T> {
    const next = this.changes.then(change);
    this.changes = next.catch((err: Error) => this.log(`starting, stopping or reporting connectors and tasks failed: ${err.stack ?? err.message}`));
    return next;
  }

  /** Which connectors and tasks there are to assign: a change calls for a rebalance. */
  private shape(): string {
    return JSON.stringify([...this.config.connectors.keys()].sort().map((name) => [name, this.config.targetState(name) === 'STOPPED' ? -1 : (this.config.taskConfigs.get(name)?.length ?? 0)]));
  }

  private onConfigRecord(record: LogRecord): void {
    const before = this.shape();
    const change = this.config.apply(record);
    if (this.shape() !== before) {
      this.shapeChangedAt = record.offset;
      if (this.loaded) this.membership.requestRejoin();
    }
    if (!this.loaded || change.kind === 'none') return;
    if (change.kind === 'restart-connector') void this.serially(() => this.restartOwned(change.name, change)).catch(() => undefined);
    else if (change.kind === 'restart-task') void this.serially(() => this.restartOwned(change.name, { includeTasks: true, onlyFailed: false, task: change.task })).catch(() => undefined);
    else void this.serially(() => this.reconcile()).catch(() => undefined);
  }

  private onStatusRecord(record: LogRecord): void {
    if (record.key === null) return;
    if (record.value === null) {
      this.statuses.delete(record.key);
      return;
    }
    const status = JSON.parse(record.value) as StatusRecord;
    const previous = this.statuses.get(record.key);
    // A worker of an older generation (one that has not yet learned it lost the work) does not overwrite the new owner.
    if (previous && status.generation < previous.generation && status.worker_id !== previous.worker_id) return;
    this.statuses.set(record.key, status);
  }

  // The group protocol.

  async joinProtocols(): Promise<{ name: string; metadata: Buffer }[]> {
    return [{ name: CONNECT_PROTOCOL_NAME, metadata: encodeWorkerState({ url: this.restUrl, configOffset: BigInt(this.config.offset) }) }];
  }

  /** Eager: everything stops before the worker joins again. */
  async joining(): Promise<void> {
    this.assignment = NO_ASSIGNMENT;
    await this.serially(() => this.reconcile());
  }

  async assign(join: JoinedGroup, members: ProtocolMember[]): Promise<Map<string, Buffer>> {
    await this.configLog.readToEnd();
    const connectors = [...this.config.connectors.keys()];
    const tasks = connectors.filter((name) => this.config.targetState(name) !== 'STOPPED')
      .flatMap((name) => (this.config.taskConfigs.get(name) ?? []).map((_, task) => ({ connector: name, task })));
    const dealt = assignRoundRobin(members.map((m) => m.memberId), connectors, tasks);
    const configOffset = BigInt(this.config.offset);
    this.log(`assigning ${connectors.length} connector(s) and ${tasks.length} task(s) to ${members.length} worker(s) at config offset ${configOffset}`);
    return new Map([...dealt].map(([memberId, share]) => [memberId, encodeAssignment({ error: 0, leader: join.memberId, leaderUrl: this.restUrl, configOffset, ...share })]));
  }

  async assigned(join: JoinedGroup, bytes: Buffer): Promise<boolean> {
    const assignment = decodeAssignment(bytes);
    if (BigInt(this.config.offset) < assignment.configOffset) await this.configLog.readToEnd();
    // Connectors or tasks came or went after the leader assigned: assign again.
    if (this.shapeChangedAt > Number(assignment.configOffset)) return true;
    await this.offsetLog.readToEnd();
    this.assignment = assignment;
    this.generation = join.generationId;
    this.log(`generation ${join.generationId}: running connectors [${assignment.connectors.join(', ')}] and tasks [${assignment.tasks.map((t) => `${t.connector}-${t.task}`).join(', ')}]`);
    await this.serially(() => this.reconcile());
    return false;
  }

  async lost(): Promise<void> {
    await this.joining();
  }

  async leaving(): Promise<void> {
    await this.joining();
  }

  failed(err: Error): void {
    this.log(`the worker cannot stay in its group: ${err.message}`);
    this.onFatal(err);
  }

  /** Stops what this worker should no longer run (or runs with old settings), and starts what it should. */
  private async reconcile(): Promise<void> {
    const { connectors, taskConfigs } = this.config;
    const mine = this.assignment;
    for (const [name, settings] of this.runningConnectors) {
      const wanted = mine.connectors.includes(name) && this.config.targetState(name) !== 'STOPPED' && JSON.stringify(connectors.get(name)) === settings;
      if (wanted) continue;
      await this.worker.stopConnector(name);
      this.runningConnectors.delete(name);
    }
    for (const [key, settings] of this.runningTasks) {
      const [name, task] = key.split('\u0000');
      const wanted = mine.tasks.some((t) => t.connector === name && t.task === Number(task)) && this.config.targetState(name) === 'STARTED'
        && JSON.stringify(taskConfigs.get(name)?.[Number(task)]) === settings && JSON.stringify(connectors.get(name)) !== undefined;
      if (wanted) continue;
      await this.worker.stopTask(name, Number(task));
      this.runningTasks.delete(key);
    }
    for (const name of mine.connectors) {
      const settings = connectors.get(name);
      if (!settings) continue;
      if (this.config.targetState(name) === 'STOPPED') {
        // A stopped connector has no tasks: its task settings are dropped.
        if ((taskConfigs.get(name)?.length ?? 0) > 0) await this.configLog.write(`commit-${name}`, JSON.stringify({ tasks: 0 }));
        continue;
      }
      if (this.runningConnectors.has(name)) continue;
      await this.worker.startConnector(name, settings);
      this.runningConnectors.set(name, JSON.stringify(settings));
      if (this.worker.connectorStatus(name)?.state !== 'RUNNING') continue;
      const generated = this.worker.taskConfigs(name, settings);
      if (JSON.stringify(generated) !== JSON.stringify(taskConfigs.get(name) ?? [])) {
        for (const [task, config] of generated.entries()) await this.configLog.write(`task-${name}-${task}`, JSON.stringify({ properties: config }));
        await this.configLog.write(`commit-${name}`, JSON.stringify({ tasks: generated.length }));
      }
    }
    for (const { connector: name, task } of mine.tasks) {
      const settings = taskConfigs.get(name)?.[task];
      const connectorSettings = connectors.get(name);
      if (!settings || !connectorSettings || this.config.targetState(name) !== 'STARTED' || this.runningTasks.has(taskKey(name, task))) continue;
      this.worker.startTask(name, task, connectorSettings, settings);
      this.runningTasks.set(taskKey(name, task), JSON.stringify(settings));
    }
    await this.publishStatuses();
  }

  /** Acts on a restart request for what this worker runs: stops it, and the reconcile starts it again. */
  private async restartOwned(name: string, request: RestartRequest & { task?: number }): Promise<void> {
    const failed = (status: TaskStatus | undefined) => status?.state === 'FAILED';
    if (request.task === undefined && this.runningConnectors.has(name) && (!request.onlyFailed || failed(this.worker.connectorStatus(name)))) {
      await this.worker.stopConnector(name);
      this.runningConnectors.delete(name);
    }
    if (request.includeTasks) {
      for (const key of [...this.runningTasks.keys()]) {
        const [owner, task] = key.split('\u0000');
        if (owner !== name || (request.task !== undefined && request.task !== Number(task))) continue;
        if (request.onlyFailed && !failed(this.worker.taskStatus(name, Number(task)))) continue;
        await this.worker.stopTask(name, Number(task));
        this.runningTasks.delete(key);
      }
    }
    await this.reconcile();
  }

  /** Writes the state of each connector and task this worker holds, where it changed. */
  private async publishStatuses(): Promise<void> {
    const state = (name: string, status: TaskStatus | undefined): Pick<StatusRecord, 'state' | 'trace'> => {
      const target = this.config.targetState(name);
      if (status?.state === 'FAILED') return { state: 'FAILED', trace: status.trace ?? null };
      if (target === 'STOPPED') return { state: 'STOPPED', trace: null };
      if (target === 'PAUSED') return { state: 'PAUSED', trace: null };
      return { state: status?.state ?? 'UNASSIGNED', trace: null };
    };
    const entries: [string, Pick<StatusRecord, 'state' | 'trace'>][] = [];
    for (const name of this.assignment.connectors) if (this.config.connectors.has(name)) entries.push([`status-connector-${name}`, state(name, this.worker.connectorStatus(name))]);
    for (const { connector, task } of this.assignment.tasks) {
      if (this.config.taskConfigs.get(connector)?.[task]) entries.push([`status-task-${connector}-${task}`, state(connector, this.worker.taskStatus(connector, task))]);
    }
    for (const [key, status] of entries) {
      // Written again in each generation: the work may have been elsewhere in between.
      const text = JSON.stringify({ ...status, worker_id: this.workerId, generation: this.generation });
      if (this.written.get(key) === text) continue;
      await this.statusLog.write(key, text);
      this.written.set(key, text);
    }
  }

  // The REST API's calls.

  private async connectorConfig(name: string): Promise<ConfigMap> {
    await this.configLog.readToEnd();
    const config = this.config.connectors.get(name);
    if (!config) throw new ConnectError('NOT_FOUND', `Connector ${name} not found`);
    return config;
  }

  async connectors(): Promise<string[]> {
    await this.configLog.readToEnd();
    return [...this.config.connectors.keys()].sort();
  }

  async connectorInfo(name: string): Promise<ConnectorInfo> {
    const config = await this.connectorConfig(name);
    return { name, config, tasks: (this.config.taskConfigs.get(name) ?? []).map((_, task) => ({ connector: name, task })), type: pluginFor(config['connector.class']).type };
  }

  async putConnectorConfig(name: string, config: ConfigMap, options: { allowReplace: boolean; initialState?: TargetState }): Promise<{ created: boolean; info: ConnectorInfo }> {
    checkConnectorConfig(config, this.workerConfig);
    await this.configLog.readToEnd();
    const exists = this.config.connectors.has(name);
    if (exists && !options.allowReplace) throw new ConnectError('CONFLICT', `Connector ${name} already exists`);
    if (!exists && options.initialState && options.initialState !== 'STARTED') await this.configLog.write(`target-state-${name}`, targetStateValue(options.initialState));
    await this.configLog.write(`connector-${name}`, JSON.stringify({ properties: config }));
    return { created: !exists, info: await this.connectorInfo(name) };
  }

  async deleteConnector(name: string): Promise<void> {
    await this.connectorConfig(name);
    const tasks = this.config.taskConfigs.get(name)?.length ?? 0;
    await this.configLog.write(`connector-${name}`, null);
    await this.configLog.write(`target-state-${name}`, null);
    await this.statusLog.write(`status-connector-${name}`, null);
    for (let task = 0; task < tasks; task++) await this.statusLog.write(`status-task-${name}-${task}`, null);
    await this.configLog.readToEnd();
  }

  async setTargetState(name: string, state: TargetState): Promise<void> {
    await this.connectorConfig(name);
    await this.configLog.write(`target-state-${name}`, targetStateValue(state));
    await this.configLog.readToEnd();
  }

  async restartConnector(name: string, request: RestartRequest): Promise<ConnectorStatus> {
    const plan = restartPlan(await this.connectorStatus(name), request);
    await this.configLog.write(`restart-connector-${name}`, JSON.stringify({ 'include-tasks': request.includeTasks, 'only-failed': request.onlyFailed }));
    return plan.status;
  }

  async restartTask(name: string, task: number): Promise<void> {
    await this.connectorConfig(name);
    if (!this.config.taskConfigs.get(name)?.[task]) throw new ConnectError('NOT_FOUND', `Task ${name}-${task} not found`);
    await this.configLog.write(`restart-task-${name}-${task}`, '{}');
  }

  async connectorStatus(name: string): Promise<ConnectorStatus> {
    const config = await this.connectorConfig(name);
    await this.statusLog.readToEnd();
    const info = (key: string): StateInfo => {
      const s = this.statuses.get(key);
      return s ? { state: s.state, worker_id: s.worker_id, ...(s.trace ? { trace: s.trace } : {}) } : { state: 'UNASSIGNED', worker_id: '' };
    };
    return {
      name,
      connector: info(`status-connector-${name}`),
      tasks: (this.config.taskConfigs.get(name) ?? []).map((_, id) => ({ id, ...info(`status-task-${name}-${id}`) })),
      type: pluginFor(config['connector.class']).type,
    };
  }

  async taskConfigs(name: string): Promise<{ id: TaskId; config: ConfigMap }[]> {
    await this.connectorConfig(name);
    return (this.config.taskConfigs.get(name) ?? []).map((config, task) => ({ id: { connector: name, task }, config }));
  }

  async offsets(name: string): Promise<ConnectorOffset[]> {
    const config = await this.connectorConfig(name);
    await this.offsetLog.readToEnd();
    return readOffsets(pluginFor(config['connector.class']).type, name, this.offsetStore, this.admin);
  }

  async alterOffsets(name: string, offsets: ConnectorOffset[] | 'reset'): Promise<void> {
    const config = await this.connectorConfig(name);
    requireStopped(name, this.config.targetState(name));
    // Stopped means its tasks are gone too (their last offsets stored), which its worker marks by dropping their settings.
    if ((this.config.taskConfigs.get(name)?.length ?? 0) > 0) throw new ConnectError('BAD_REQUEST', `Connector ${name} is stopping; its tasks are not stopped yet. Try again shortly`);
    await this.offsetLog.readToEnd();
    await alterOffsets(pluginFor(config['connector.class']).type, name, this.offsetStore, this.admin, offsets);
  }

  /** Stops what this worker runs (sources store their offsets, sinks commit), leaves the group, and says so in the status topic. */
  async stop(): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    const generation = this.generation;
    const held = [...this.written].filter(([, text]) => (JSON.parse(text) as StatusRecord).generation === generation).map(([key]) => key);
    await this.membership.stop('the worker is stopping');
    await this.serially(async () => {
      for (const key of held) await this.statusLog.write(key, JSON.stringify({ state: 'UNASSIGNED', trace: null, worker_id: this.workerId, generation }));
    }).catch(() => undefined);
    await Promise.all([this.configLog.stop(), this.offsetLog.stop(), this.statusLog.stop()]);
    await this.admin.close();
    this.cluster.close();
  }
}
