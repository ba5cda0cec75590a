import type { ConfigKey, ConfigMap, Connector } from '../connector.ts';
import { checkConfig, intSetting } from '../config.ts';
import { converterFor } from '../converters/converters.ts';
import { ConnectError } from '../errors.ts';
import { pluginFor } from '../plugins.ts';
import { OffsetFileStore } from './offset-file-store.ts';
import { SinkTaskRunner } from './sink-task-runner.ts';
import { SourceTaskRunner } from './source-task-runner.ts';
import type { TaskStatus } from './task-state.ts';

/** The standalone worker's settings, by Kafka Connect's names. */
const WORKER_CONFIG: ConfigKey[] = [
  { name: 'bootstrap.servers', type: 'list', default: 'localhost:9092', importance: 'high', documentation: 'The brokers, host:port, comma-separated.' },
  { name: 'key.converter', type: 'class', importance: 'high', documentation: 'How record keys are turned into bytes and back.' },
  { name: 'value.converter', type: 'class', importance: 'high', documentation: 'How record values are turned into bytes and back.' },
  { name: 'offset.storage.file.filename', type: 'string', importance: 'high', documentation: 'The file source offsets are stored in.' },
  { name: 'offset.flush.interval.ms', type: 'long', default: '60000', importance: 'low', documentation: 'How often offsets are stored (sources) or committed (sinks).' },
  { name: 'consumer.session.timeout.ms', type: 'int', default: '45000', importance: 'low', documentation: 'How long a sink task\'s consumer group waits for a silent worker before moving its partitions.' },
];

/** Every connector's own settings. */
const CONNECTOR_CONFIG: ConfigKey[] = [
  { name: 'name', type: 'string', importance: 'high', documentation: 'The connector\'s unique name.' },
  { name: 'connector.class', type: 'string', importance: 'high', documentation: 'The connector plugin, by class name.' },
  { name: 'tasks.max', type: 'int', default: '1', importance: 'high', documentation: 'The most tasks the connector may run.' },
];

type Runner = SourceTaskRunner | SinkTaskRunner;

interface RunningConnector {
  connector: Connector;
  config: ConfigMap;
  runners: Runner[];
}

/**
 * A standalone Kafka Connect worker: one process running the connectors it was given, with source
 * offsets in a local file (`offset.storage.file.filename`) and sink offsets in each sink's consumer
 * group `connect-<name>`.
 */
export class StandaloneWorker {
  private readonly config: ConfigMap;
  private readonly brokers: string[];
  private readonly offsets: OffsetFileStore;
  private readonly flushIntervalMs: number;
  private readonly sessionTimeoutMs: number;
  private readonly log: (message: string) => void;
  private readonly connectors = new Map<string, RunningConnector>();

  constructor(config: ConfigMap, log: (message: string) => void) {
    checkConfig('worker', WORKER_CONFIG, config);
    // Both must name a converter Millrace has; checked now rather than when a connector starts.
    converterFor('key.converter', config);
    converterFor('value.converter', config);
    this.config = config;
    this.brokers = (config['bootstrap.servers'] ?? 'localhost:9092').split(',').map((b) => b.trim()).filter(Boolean);
    this.offsets = new OffsetFileStore(config['offset.storage.file.filename']);
    this.flushIntervalMs = intSetting(config, WORKER_CONFIG, 'offset.flush.interval.ms');
    this.sessionTimeoutMs = intSetting(config, WORKER_CONFIG, 'consumer.session.timeout.ms');
    this.log = log;
  }

  /** Starts a connector and its tasks; a bad configuration is refused (INVALID_CONFIG) before anything starts. */
  async addConnector(config: ConfigMap): Promise<void> {
    checkConfig('connector', CONNECTOR_CONFIG, config);
    const name = config.name;
    if (this.connectors.has(name)) throw new ConnectError('INVALID_CONFIG', `name: a connector named "${name}" is running already`);
    const plugin = pluginFor(config['connector.class']);
    if (plugin.type === 'sink' && !config.topics?.trim()) throw new ConnectError('INVALID_CONFIG', 'topics: a sink connector must name the topics it reads (topics.regex is not supported yet)');
    const keyConverter = converterFor('key.converter', this.config, config);
    const valueConverter = converterFor('value.converter', this.config, config);
    const connector = plugin.create();
    await connector.start(config);
    const running: RunningConnector = { connector, config, runners: [] };
    this.connectors.set(name, running);
    const common = { connector: name, brokers: this.brokers, keyConverter, valueConverter, flushIntervalMs: this.flushIntervalMs, log: this.log };
    for (const [taskId, taskConfig] of connector.taskConfigs(intSetting(config, CONNECTOR_CONFIG, 'tasks.max')).entries()) {
      const runner = connector.type === 'source'
        ? new SourceTaskRunner({ ...common, taskId, task: connector.createTask(), config: taskConfig, offsets: this.offsets })
        : new SinkTaskRunner({ ...common, taskId, task: connector.createTask(), config: taskConfig, sessionTimeoutMs: this.sessionTimeoutMs, topics: config.topics!.split(',').map((t) => t.trim()).filter(Boolean) });
      running.runners.push(runner);
      runner.start();
    }
    this.log(`connector ${name} (${plugin.className}) started with ${running.runners.length} task(s)`);
  }

  /** Each task's status, by connector name. */
  status(name: string): TaskStatus[] {
    const running = this.connectors.get(name);
    if (!running) throw new ConnectError('NOT_FOUND', `no connector named "${name}"`);
    return running.runners.map((r) => r.status);
  }

  /** Stops every task (sources store their acknowledged offsets, sinks flush and commit), then every connector. */
  async stop(): Promise<void> {
    for (const running of this.connectors.values()) {
      await Promise.all(running.runners.map((r) => r.stop().catch((err: Error) => this.log(`stopping a task of ${running.config.name}: ${err.message}`))));
      await running.connector.stop();
    }
    this.connectors.clear();
  }
}
