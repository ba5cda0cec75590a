import type { ConfigKey, ConfigMap, SinkConnector, SinkTask, SourceConnector, SourceTask } from '../connector.ts';
import { checkConfig } from '../config.ts';

interface ConnectorDefinition<Task> {
  /** The plugin's simple name, for messages. */
  name: string;
  configDef: ConfigKey[];
  /** Checks beyond the settings' types, throwing INVALID_CONFIG as "setting: what is wrong". */
  check?: (config: ConfigMap) => void;
  /** one: the work is one stream read in order, by one task; each: every task gets the settings (sink tasks share the topics' partitions). */
  tasks: 'one' | 'each';
  createTask: () => Task;
}

/** A connector whose tasks all run with its own settings, checked when it starts. */
function connectorOf<Task>(definition: ConnectorDefinition<Task>) {
  let config: ConfigMap = {};
  return {
    version: '0.1.0',
    configDef: definition.configDef,
    check: definition.check,
    start(settings: ConfigMap) {
      checkConfig(definition.name, definition.configDef, settings);
      definition.check?.(settings);
      config = settings;
    },
    taskConfigs: (maxTasks: number) => Array.from({ length: definition.tasks === 'one' ? 1 : maxTasks }, () => ({ ...config })),
    stop() {},
    createTask: definition.createTask,
  };
}

export function sourceConnector(definition: ConnectorDefinition<SourceTask>): SourceConnector {
  return { type: 'source', ...connectorOf(definition) };
}

export function sinkConnector(definition: ConnectorDefinition<SinkTask>): SinkConnector {
  return { type: 'sink', ...connectorOf(definition) };
}
