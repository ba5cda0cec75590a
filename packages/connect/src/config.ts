import type { ConfigKey, ConfigMap } from './connector.ts';
import { ConnectError } from './errors.ts';

/** What is wrong with each setting, by name (empty: nothing is). */
export function configErrors(defs: ConfigKey[], config: ConfigMap): Map<string, string[]> {
  const errors = new Map<string, string[]>();
  const fail = (name: string, message: string) => errors.set(name, [...(errors.get(name) ?? []), message]);
  for (const def of defs) {
    const value = config[def.name] ?? def.default;
    if (value === null) continue;
    if (value === undefined || (value === '' && def.default === undefined)) {
      fail(def.name, `Missing required configuration "${def.name}" which has no default value.`);
      continue;
    }
    if ((def.type === 'int' || def.type === 'long') && !/^-?\d+$/.test(value.trim())) fail(def.name, `Invalid value ${value} for configuration ${def.name}: Not a number of type ${def.type.toUpperCase()}`);
    if (def.type === 'boolean' && !/^(true|false)$/i.test(value.trim())) fail(def.name, `Invalid value ${value} for configuration ${def.name}: Expected value to be either true or false`);
  }
  return errors;
}

/** Throws INVALID_CONFIG naming every wrong setting. */
export function checkConfig(what: string, defs: ConfigKey[], config: ConfigMap): void {
  const errors = configErrors(defs, config);
  if (errors.size > 0) throw new ConnectError('INVALID_CONFIG', `${what}: ${[...errors.values()].flat().join('; ')}`);
}

/** A setting as a whole number (after `checkConfig`), or its default. */
export function intSetting(config: ConfigMap, defs: ConfigKey[], name: string): number {
  return Number(config[name] ?? defs.find((d) => d.name === name)!.default);
}
