import type { ConfigKey, ConfigMap } from '../connector.ts';
import { ConnectError } from '../errors.ts';
import { partOf, requireObject, type Part, type TransformPlugin, withPart } from './record.ts';

const CONFIG: ConfigKey[] = [
  { name: 'field', type: 'string', importance: 'medium', documentation: 'The field that replaces the whole key or value.' },
];

/** org.apache.kafka.connect.transforms.ExtractField$Key / $Value: the key or value becomes one of its fields (with that field's schema). */
export const extractField: TransformPlugin = {
  configDef: CONFIG,
  create(settings: ConfigMap, part: Part) {
    const field = settings.field;
    return (record) => {
      const { schema, value } = partOf(record, part);
      if (value === null) return record;
      const object = requireObject(value, `ExtractField$${part === 'key' ? 'Key' : 'Value'}`, schema);
      const fieldSchema = schema?.fields?.find((f) => f.field === field);
      if (schema && !fieldSchema) throw new ConnectError('TRANSFORM', `ExtractField: the ${part} has no field ${field}`);
      let extracted: typeof fieldSchema | undefined;
      if (fieldSchema) {
        const { field: _name, ...rest } = fieldSchema;
        extracted = rest as typeof fieldSchema;
      }
      return withPart(record, part, extracted, object[field] ?? null);
    };
  },
};
