import { ConnectError } from '../errors.ts';
import { byteArrayConverter } from './byte-array-converter.ts';
import type { Converter } from './converter.ts';
import { jsonConverter } from './json-converter.ts';
import { stringConverter } from './string-converter.ts';

/** The converters there are, by the Java class names Kafka Connect configurations use. */
const CONVERTERS: Record<string, (config: Record<string, string>) => Converter> = {
  'org.apache.kafka.connect.json.JsonConverter': jsonConverter,
  'org.apache.kafka.connect.storage.StringConverter': stringConverter,
  'org.apache.kafka.connect.converters.ByteArrayConverter': byteArrayConverter,
};

/** The converters' class names, for the REST API's plugin list. */
export function converterClassNames(): string[] {
  return Object.keys(CONVERTERS);
}

/**
 * The converter a configuration names under `prefix` (`key.converter` or `value.converter`), given
 * the settings under that prefix (`value.converter.schemas.enable`); a connector's own settings
 * win over the worker's.
 */
export function converterFor(prefix: 'key.converter' | 'value.converter', worker: Record<string, string>, connector: Record<string, string> = {}): Converter {
  const source = connector[prefix] !== undefined ? connector : worker;
  const name = source[prefix];
  if (name === undefined) throw new ConnectError('INVALID_CONFIG', `${prefix} is required: name a converter (${Object.keys(CONVERTERS).join(', ')})`);
  const make = CONVERTERS[name];
  if (!make) throw new ConnectError('INVALID_CONFIG', `${prefix}: unknown converter "${name}" (there are ${Object.keys(CONVERTERS).join(', ')})`);
  const settings: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) if (key.startsWith(`${prefix}.`)) settings[key.slice(prefix.length + 1)] = value;
  return make(settings);
}
