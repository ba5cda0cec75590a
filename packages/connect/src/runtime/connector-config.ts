import type { ConfigKey, ConfigMap } from '../connector.ts';
import { configErrors } from '../config.ts';
import { converterFor } from '../converters/converters.ts';
import { ConnectError } from '../errors.ts';
import { type Plugin, pluginFor } from '../plugins.ts';
import { transformErrors } from '../transforms/transforms.ts';
import { DEAD_LETTER_QUEUE_CONFIG, ERROR_CONFIG } from './error-reporter.ts';

/** Settings every connector has, as Kafka Connect's ConnectorConfig names them. */
export const COMMON_CONNECTOR_CONFIG: ConfigKey[] = [
  { name: 'name', type: 'string', importance: 'high', documentation: 'The connector\'s unique name.' },
  { name: 'connector.class', type: 'string', importance: 'high', documentation: 'The connector plugin, by class name, simple name, or simple name without "Connector".' },
  { name: 'tasks.max', type: 'int', default: '1', importance: 'high', documentation: 'The most tasks the connector may run.' },
  { name: 'key.converter', type: 'class', default: null, importance: 'low', documentation: 'Overrides the worker\'s key.converter for this connector.' },
  { name: 'value.converter', type: 'class', default: null, importance: 'low', documentation: 'Overrides the worker\'s value.converter for this connector.' },
];

const TRANSFORM_CONFIG: ConfigKey[] = [
  { name: 'transforms', type: 'list', default: '', importance: 'low', documentation: 'Aliases of the transformations applied to each record, in order; each is set up under transforms.<alias>. (type, predicate, negate, and its own settings).' },
  { name: 'predicates', type: 'list', default: '', importance: 'low', documentation: 'Aliases of the predicates transformations may be conditional on; each is set up under predicates.<alias>.' },
];

/** Settings every sink connector has. */
export const SINK_CONNECTOR_CONFIG: ConfigKey[] = [
  { name: 'topics', type: 'list', default: null, importance: 'high', documentation: 'The topics to read, comma-separated.' },
];

/** One group of settings and what is wrong with each, as the validate endpoint reports them. */
export interface ConfigGroup {
  name: string;
  keys: ConfigKey[];
}

export interface ConnectorValidation {
  /** Null when `connector.class` names no plugin. */
  plugin: Plugin | null;
  groups: ConfigGroup[];
  errors: Map<string, string[]>;
}

/** Checks a connector's settings against the common ones and its plugin's own, collecting every error by setting. */
export function validateConnectorConfig(config: ConfigMap, worker: ConfigMap): ConnectorValidation {
  let plugin: Plugin | null = null;
  const errors = configErrors(COMMON_CONNECTOR_CONFIG, config);
  const fail = (name: string, message: string) => errors.set(name, [...(errors.get(name) ?? []), message]);
  if (config['connector.class'] !== undefined) {
    try {
      plugin = pluginFor(config['connector.class']);
    } catch (err) {
      fail('connector.class', (err as Error).message);
    }
  }
  if (config.name !== undefined && (config.name.trim() === '' || /[/\\]/.test(config.name) || [...config.name].some((c) => c < ' '))) fail('name', 'Connector name must not be empty, nor contain slashes or control characters');
  if (Number(config['tasks.max']) < 1) fail('tasks.max', `Invalid value ${config['tasks.max']} for configuration tasks.max: Value must be at least 1`);
  for (const prefix of ['key.converter', 'value.converter'] as const) {
    try {
      converterFor(prefix, worker, config);
    } catch (err) {
      fail(prefix, (err as Error).message);
    }
  }
  const groups: ConfigGroup[] = [{ name: 'Common', keys: COMMON_CONNECTOR_CONFIG }, { name: 'Transforms', keys: TRANSFORM_CONFIG }, { name: 'Error Handling', keys: ERROR_CONFIG }];
  for (const [name, messages] of [...configErrors(TRANSFORM_CONFIG, config), ...configErrors(ERROR_CONFIG, config), ...transformErrors(config)]) for (const m of messages) fail(name, m);
  const tolerance = config['errors.tolerance'];
  if (tolerance !== undefined && tolerance !== 'none' && tolerance !== 'all') fail('errors.tolerance', `Invalid value ${tolerance} for configuration errors.tolerance: String must be one of: none, all`);
  if (plugin?.type === 'sink') {
    groups.push({ name: 'Sink', keys: SINK_CONNECTOR_CONFIG }, { name: 'Dead Letter Queue', keys: DEAD_LETTER_QUEUE_CONFIG });
    for (const [name, messages] of configErrors(DEAD_LETTER_QUEUE_CONFIG, config)) for (const m of messages) fail(name, m);
    if (!config.topics?.trim()) fail('topics', 'Must configure one of topics or topics.regex (topics.regex is not supported yet)');
    if (config.topics?.split(',').some((t) => t.trim() === config['errors.deadletterqueue.topic.name']?.trim())) {
      fail('errors.deadletterqueue.topic.name', 'The dead letter queue topic cannot be one of the topics the connector reads');
    }
  }
  if (plugin) {
    const keys = plugin.create().configDef;
    groups.push({ name: plugin.className.slice(plugin.className.lastIndexOf('.') + 1), keys });
    const own = configErrors(keys, config);
    for (const [name, messages] of own) for (const m of messages) fail(name, m);
    if (own.size === 0) {
      try {
        plugin.create().check?.(config);
      } catch (err) {
        // "http.api.url: ..." is about that setting.
        const setting = /^([\w.]+): /.exec((err as Error).message)?.[1];
        fail(setting && keys.some((k) => k.name === setting) ? setting : 'connector.class', (err as Error).message);
      }
    }
  }
  return { plugin, groups, errors };
}

/** Throws INVALID_CONFIG listing every error, as Kafka Connect's REST API words it; returns the plugin otherwise. */
export function checkConnectorConfig(config: ConfigMap, worker: ConfigMap): Plugin {
  const { plugin, errors } = validateConnectorConfig(config, worker);
  const messages = [...errors.values()].flat();
  if (messages.length > 0 || !plugin) {
    throw new ConnectError('INVALID_CONFIG', `Connector configuration is invalid and contains the following ${messages.length} error(s):\n${messages.join('\n')}\n`
      + 'You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`');
  }
  return plugin;
}
