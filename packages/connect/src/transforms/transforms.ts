import type { ConfigMap } from '../connector.ts';
import { configErrors } from '../config.ts';
import { ConnectError } from '../errors.ts';
import { extractField } from './extract-field.ts';
import { extractNewRecordState } from './extract-new-record-state.ts';
import { insertField } from './insert-field.ts';
import { maskField } from './mask-field.ts';
import { type PredicatePlugin, PREDICATES } from './predicates.ts';
import { type ConnectRecord, listSetting, type Part, type Transformation, type TransformPlugin } from './record.ts';
import { replaceField } from './replace-field.ts';
import { filter, regexRouter, timestampRouter } from './routers.ts';
import { valueToKey } from './value-to-key.ts';

const PACKAGE = 'org.apache.kafka.connect.transforms.';

/** The transformations there are, by Kafka's class names (`$Key` and `$Value` variants for the key and the value). */
const TRANSFORMS: Record<string, { plugin: TransformPlugin; part: Part }> = {};
for (const [name, plugin] of Object.entries({ InsertField: insertField, ReplaceField: replaceField, MaskField: maskField, ExtractField: extractField })) {
  TRANSFORMS[`${PACKAGE}${name}$Key`] = { plugin, part: 'key' };
  TRANSFORMS[`${PACKAGE}${name}$Value`] = { plugin, part: 'value' };
}
for (const [name, plugin] of Object.entries({ ValueToKey: valueToKey, RegexRouter: regexRouter, TimestampRouter: timestampRouter, Filter: filter })) {
  TRANSFORMS[`${PACKAGE}${name}`] = { plugin, part: 'value' };
}

// Debezium's "unwrap", which CDC pipelines into sinks use.
TRANSFORMS['io.debezium.transforms.ExtractNewRecordState'] = { plugin: extractNewRecordState, part: 'value' };

/** A plugin by its full class name or its simple name (`InsertField$Value`), as Kafka Connect's plugin aliases allow. */
function lookup<T>(table: Record<string, T>, name: string | undefined): T | undefined {
  if (name === undefined) return undefined;
  return table[name] ?? Object.entries(table).find(([className]) => className.slice(className.lastIndexOf('.') + 1) === name)?.[1];
}

export function transformClassNames(): { transformations: string[]; predicates: string[] } {
  return { transformations: Object.keys(TRANSFORMS), predicates: Object.keys(PREDICATES) };
}

/** The settings under `prefix` (`transforms.mask.`), without it. */
function settingsUnder(config: ConfigMap, prefix: string): ConfigMap {
  const settings: ConfigMap = {};
  for (const [key, value] of Object.entries(config)) if (key.startsWith(prefix)) settings[key.slice(prefix.length)] = value;
  return settings;
}

/** What is wrong with the `transforms` and `predicates` settings, by setting name. */
export function transformErrors(config: ConfigMap): Map<string, string[]> {
  const errors = new Map<string, string[]>();
  const fail = (name: string, message: string) => errors.set(name, [...(errors.get(name) ?? []), message]);
  const predicateAliases = listSetting(config, 'predicates');
  const check = (kind: 'transforms' | 'predicates', alias: string, plugin: TransformPlugin | PredicatePlugin | undefined) => {
    const settings = settingsUnder(config, `${kind}.${alias}.`);
    if (!plugin) {
      const known = kind === 'transforms' ? Object.keys(TRANSFORMS) : Object.keys(PREDICATES);
      fail(`${kind}.${alias}.type`, settings.type === undefined ? `Missing required configuration "${kind}.${alias}.type" which has no default value.`
        : `Invalid value ${settings.type} for configuration ${kind}.${alias}.type: no such ${kind === 'transforms' ? 'transformation' : 'predicate'} (there are ${known.join(', ')})`);
      return;
    }
    for (const [name, messages] of configErrors(plugin.configDef, settings)) for (const m of messages) fail(`${kind}.${alias}.${name}`, m.replaceAll(`"${name}"`, `"${kind}.${alias}.${name}"`));
    try {
      plugin.create(settings, 'value');
    } catch (err) {
      // "regex: ..." is about transforms.<alias>.regex.
      const setting = /^([\w.]+): /.exec((err as Error).message)?.[1];
      fail(`${kind}.${alias}.${setting && plugin.configDef.some((k) => k.name === setting) ? setting : 'type'}`, (err as Error).message);
    }
  };
  for (const alias of listSetting(config, 'transforms')) {
    check('transforms', alias, lookup(TRANSFORMS, config[`transforms.${alias}.type`])?.plugin);
    const predicate = config[`transforms.${alias}.predicate`];
    if (predicate !== undefined && !predicateAliases.includes(predicate)) fail(`transforms.${alias}.predicate`, `Invalid value ${predicate} for configuration transforms.${alias}.predicate: it is not among predicates (${predicateAliases.join(', ') || 'none'})`);
  }
  for (const alias of predicateAliases) check('predicates', alias, lookup(PREDICATES, config[`predicates.${alias}.type`]));
  return errors;
}

/**
 * The connector's transformations, in the order `transforms` names them, each applied only where
 * its predicate holds (or, with `negate=true`, does not): the record changed, or null once one
 * drops it. The settings are checked by `transformErrors` first.
 */
export function transformChain(config: ConfigMap): Transformation {
  const predicates = new Map(listSetting(config, 'predicates').map((alias) => [alias, lookup(PREDICATES, config[`predicates.${alias}.type`])!.create(settingsUnder(config, `predicates.${alias}.`))]));
  const steps = listSetting(config, 'transforms').map((alias) => {
    const settings = settingsUnder(config, `transforms.${alias}.`);
    const found = lookup(TRANSFORMS, settings.type);
    if (!found) throw new ConnectError('INVALID_CONFIG', `transforms.${alias}.type: no such transformation "${settings.type}"`);
    const apply = found.plugin.create(settings, found.part);
    const predicate = settings.predicate === undefined ? null : predicates.get(settings.predicate)!;
    const negate = settings.negate === 'true';
    return { alias, apply, applies: (record: ConnectRecord) => predicate === null || predicate(record) !== negate };
  });
  if (steps.length === 0) return (record) => record;
  return <R extends ConnectRecord>(record: R) => {
    let current: R | null = record;
    for (const step of steps) {
      if (current === null) return null;
      if (!step.applies(current)) continue;
      try {
        current = step.apply(current);
      } catch (err) {
        if (err instanceof ConnectError && err.code === 'TRANSFORM') throw new ConnectError('TRANSFORM', `transforms.${step.alias}: ${err.message}`, { cause: err });
        throw err;
      }
    }
    return current;
  };
}
