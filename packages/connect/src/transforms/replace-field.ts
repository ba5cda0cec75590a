import type { ConfigKey, ConfigMap } from '../connector.ts';
import type { ConnectValue } from '../data.ts';
import { ConnectError } from '../errors.ts';
import { listSetting, partOf, requireObject, structSchema, type Part, type TransformPlugin, withPart } from './record.ts';

const CONFIG: ConfigKey[] = [
  { name: 'exclude', type: 'list', default: '', importance: 'medium', documentation: 'Fields to drop; they win over include.' },
  { name: 'include', type: 'list', default: '', importance: 'medium', documentation: 'Fields to keep (all if empty).' },
  { name: 'renames', type: 'list', default: '', importance: 'medium', documentation: 'Renames, old:new,...' },
];

/** org.apache.kafka.connect.transforms.ReplaceField$Key / $Value: keeps, drops and renames fields of a struct or map. */
export const replaceField: TransformPlugin = {
  configDef: CONFIG,
  create(settings: ConfigMap, part: Part) {
    // blacklist and whitelist are the names Kafka used before 2.7.
    const exclude = new Set([...listSetting(settings, 'exclude'), ...listSetting(settings, 'blacklist')]);
    const include = new Set([...listSetting(settings, 'include'), ...listSetting(settings, 'whitelist')]);
    const renames = new Map(listSetting(settings, 'renames').map((pair) => {
      const [from, to] = pair.split(':').map((s) => s.trim());
      if (!from || !to) throw new ConnectError('INVALID_CONFIG', `renames: "${pair}" is not old:new`);
      return [from, to];
    }));
    const kept = (field: string) => !exclude.has(field) && (include.size === 0 || include.has(field));
    const renamed = (field: string) => renames.get(field) ?? field;
    return (record) => {
      const { schema, value } = partOf(record, part);
      if (value === null && schema === undefined) return record;
      const object = requireObject(value, `ReplaceField$${part === 'key' ? 'Key' : 'Value'}`, schema);
      const result: { [field: string]: ConnectValue } = {};
      for (const [field, v] of Object.entries(object)) if (kept(field)) result[renamed(field)] = v;
      const newSchema = schema ? structSchema(schema, (schema.fields ?? []).filter((f) => kept(f.field)).map((f) => ({ ...f, field: renamed(f.field) }))) : undefined;
      return withPart(record, part, newSchema, result);
    };
  },
};
