import type { ConfigKey, ConfigMap } from '../connector.ts';
import type { ConnectValue, SchemaType } from '../data.ts';
import { ConnectError } from '../errors.ts';
import { listSetting, partOf, requireObject, type Part, type TransformPlugin, withPart } from './record.ts';

const CONFIG: ConfigKey[] = [
  { name: 'fields', type: 'list', importance: 'high', documentation: 'The fields to mask.' },
  { name: 'replacement', type: 'string', default: null, importance: 'low', documentation: 'What to put instead (default: the type\'s empty value: 0, "", false, empty bytes, list or map).' },
];

const NUMERIC = new Set<SchemaType>(['int8', 'int16', 'int32', 'int64', 'float32', 'float64']);

/** The empty value of a type, as Kafka's MaskField puts it. */
function emptyOf(type: SchemaType | undefined, value: ConnectValue): ConnectValue {
  if (type ? NUMERIC.has(type) : typeof value === 'number' || typeof value === 'bigint') return 0;
  if (type === 'boolean' || typeof value === 'boolean') return false;
  if (type === 'bytes' || Buffer.isBuffer(value)) return Buffer.alloc(0);
  if (type === 'array' || Array.isArray(value)) return [];
  if (type === 'map' || type === 'struct' || (typeof value === 'object' && value !== null)) return {};
  return '';
}

/** org.apache.kafka.connect.transforms.MaskField$Key / $Value: replaces fields' values with an empty value or a replacement, keeping the schema. */
export const maskField: TransformPlugin = {
  configDef: CONFIG,
  create(settings: ConfigMap, part: Part) {
    const fields = listSetting(settings, 'fields');
    const replacement = settings.replacement;
    return (record) => {
      const { schema, value } = partOf(record, part);
      if (value === null && schema === undefined) return record;
      const object = { ...requireObject(value, `MaskField$${part === 'key' ? 'Key' : 'Value'}`, schema) };
      for (const field of fields) {
        if (!(field in object)) continue;
        const type = schema?.fields?.find((f) => f.field === field)?.type;
        if (replacement === undefined) object[field] = emptyOf(type, object[field]);
        else if (type ? NUMERIC.has(type) : typeof object[field] === 'number') {
          const n = Number(replacement);
          if (Number.isNaN(n)) throw new ConnectError('TRANSFORM', `MaskField: replacement "${replacement}" is not a number, which field ${field} is`);
          object[field] = n;
        } else object[field] = replacement;
      }
      return withPart(record, part, schema, object);
    };
  },
};
