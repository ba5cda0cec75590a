import type { ConfigKey, ConfigMap } from '../connector.ts';
import type { ConnectorValidation } from '../runtime/connector-config.ts';

/** A setting's definition as Kafka Connect's REST API gives it (ConfigKeyInfo). */
export function configKeyInfo(key: ConfigKey, group: string | null, order: number): Record<string, unknown> {
  return {
    name: key.name,
    type: key.type.toUpperCase(),
    required: key.default === undefined,
    default_value: key.default ?? null,
    importance: key.importance.toUpperCase(),
    documentation: key.documentation,
    group,
    order_in_group: order,
    width: 'NONE',
    display_name: key.name,
    dependents: [],
  };
}

/** The body of `PUT /connector-plugins/{plugin}/config/validate` (ConfigInfos): every setting, its value, and what is wrong with it. */
export function configInfos(config: ConfigMap, validation: ConnectorValidation): Record<string, unknown> {
  const configs = validation.groups.flatMap((group) => group.keys.map((key, i) => {
    const errors = validation.errors.get(key.name) ?? [];
    const value = config[key.name] ?? key.default ?? null;
    return {
      definition: configKeyInfo(key, group.name, i + 1),
      value: { name: key.name, value: key.type === 'password' && value !== null ? '[hidden]' : value, recommended_values: [], errors, visible: true },
    };
  }));
  // An error of a setting no group defines (connector.class naming no plugin) is still reported.
  const defined = new Set(configs.map((c) => c.definition.name));
  for (const [name, errors] of validation.errors) {
    if (defined.has(name)) continue;
    configs.push({ definition: configKeyInfo({ name, type: 'string', importance: 'high', documentation: '' }, null, 0), value: { name, value: config[name] ?? null, recommended_values: [], errors, visible: true } });
  }
  return {
    name: validation.plugin?.className ?? config['connector.class'] ?? null,
    error_count: [...validation.errors.values()].reduce((n, e) => n + e.length, 0),
    groups: validation.groups.map((g) => g.name),
    configs,
  };
}
