import type { ConfigKey, ConfigMap } from '../connector.ts';
import type { ConnectValue, FieldSchema } from '../data.ts';
import { ConnectError } from '../errors.ts';
import { listSetting, requireObject, type TransformPlugin } from './record.ts';

const CONFIG: ConfigKey[] = [
  { name: 'fields', type: 'list', importance: 'high', documentation: 'Fields of the value that make up the key.' },
];

/** org.apache.kafka.connect.transforms.ValueToKey: the key becomes a struct (or map) of the named fields of the value. */
export const valueToKey: TransformPlugin = {
  configDef: CONFIG,
  create(settings: ConfigMap) {
    const fields = listSetting(settings, 'fields');
    return (record) => {
      const value = requireObject(record.value, 'ValueToKey', record.valueSchema);
      const key: { [field: string]: ConnectValue } = {};
      const keyFields: FieldSchema[] = [];
      for (const field of fields) {
        const schema = record.valueSchema?.fields?.find((f) => f.field === field);
        if (record.valueSchema && !schema) throw new ConnectError('TRANSFORM', `ValueToKey: the value has no field ${field}`);
        key[field] = value[field] ?? null;
        if (schema) keyFields.push(schema);
      }
      return { ...record, key, keySchema: record.valueSchema ? { type: 'struct', optional: false, fields: keyFields } : undefined };
    };
  },
};
