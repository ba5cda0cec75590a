import type { ConfigKey, ConfigMap } from '../connector.ts';
import type { ConnectValue, FieldSchema } from '../data.ts';
import { ConnectError } from '../errors.ts';
import { partOf, requireObject, structSchema, type Part, type TransformPlugin, withPart } from './record.ts';

const CONFIG: ConfigKey[] = [
  { name: 'topic.field', type: 'string', default: null, importance: 'medium', documentation: 'Field for the record\'s topic (a trailing ! makes it required in the schema, ? optional, the default).' },
  { name: 'partition.field', type: 'string', default: null, importance: 'medium', documentation: 'Field for the record\'s partition.' },
  { name: 'offset.field', type: 'string', default: null, importance: 'medium', documentation: 'Field for the record\'s offset (sink connectors only).' },
  { name: 'timestamp.field', type: 'string', default: null, importance: 'medium', documentation: 'Field for the record\'s timestamp (org.apache.kafka.connect.data.Timestamp).' },
  { name: 'static.field', type: 'string', default: null, importance: 'medium', documentation: 'Field for a fixed value.' },
  { name: 'static.value', type: 'string', default: null, importance: 'medium', documentation: 'The fixed value for static.field.' },
];

/** `name!` is required in the schema, `name?` or `name` optional. */
function fieldName(setting: string | undefined): { name: string; optional: boolean } | null {
  if (!setting) return null;
  if (setting.endsWith('!')) return { name: setting.slice(0, -1), optional: false };
  return { name: setting.replace(/\?$/, ''), optional: true };
}

/**
 * org.apache.kafka.connect.transforms.InsertField$Key / $Value: adds the record's topic,
 * partition, offset or timestamp, or a fixed value, as fields of a struct (its schema grows with
 * them) or of a schemaless map.
 */
export const insertField: TransformPlugin = {
  configDef: CONFIG,
  create(settings: ConfigMap, part: Part) {
    const fields = [
      { field: fieldName(settings['topic.field']), schema: { type: 'string' }, read: (r: { topic: string }) => r.topic as ConnectValue },
      { field: fieldName(settings['partition.field']), schema: { type: 'int32' }, read: (r: { partition?: number }) => r.partition ?? null },
      { field: fieldName(settings['offset.field']), schema: { type: 'int64' }, read: (r: { offset?: number }) => (r.offset === undefined ? null : r.offset) },
      { field: fieldName(settings['timestamp.field']), schema: { type: 'int64', name: 'org.apache.kafka.connect.data.Timestamp', version: 1 }, read: (r: { timestamp?: number }) => r.timestamp ?? null },
      { field: fieldName(settings['static.field']), schema: { type: 'string' }, read: () => settings['static.value'] ?? null },
    ].filter((f) => f.field !== null);
    return (record) => {
      const { schema, value } = partOf(record, part);
      if (value === null && schema === undefined) return record;
      const object = { ...requireObject(value, `InsertField$${part === 'key' ? 'Key' : 'Value'}`, schema) };
      const added: FieldSchema[] = [];
      for (const f of fields) {
        const inserted = f.read(record);
        if (inserted === null && !f.field!.optional) throw new ConnectError('TRANSFORM', `InsertField: the record has no value for the required field ${f.field!.name}`);
        object[f.field!.name] = inserted;
        added.push({ ...f.schema, optional: f.field!.optional, field: f.field!.name } as FieldSchema);
      }
      const newSchema = schema ? structSchema(schema, [...(schema.fields ?? []).filter((s) => !added.some((a) => a.field === s.field)), ...added]) : undefined;
      return withPart(record, part, newSchema, object);
    };
  },
};
