import type { ConfigKey, ConfigMap } from '../connector.ts';
import type { ConnectValue } from '../data.ts';
import { ConnectError } from '../errors.ts';
import type { TransformPlugin } from './record.ts';

const CONFIG: ConfigKey[] = [
  { name: 'drop.tombstones', type: 'boolean', default: 'true', importance: 'medium', documentation: 'Drop tombstones (a sink that deletes on tombstones needs false).' },
  { name: 'delete.handling.mode', type: 'string', default: 'drop', importance: 'medium', documentation: 'What becomes of a delete event: drop it, none (kept as a null value), or rewrite (the old row with __deleted=true).' },
];

/**
 * io.debezium.transforms.ExtractNewRecordState ("unwrap"): a Debezium change event becomes the row it
 * leaves (`after`, with its schema), as a sink writing rows wants it; deletes and tombstones as set.
 */
export const extractNewRecordState: TransformPlugin = {
  configDef: CONFIG,
  create(settings: ConfigMap) {
    const dropTombstones = (settings['drop.tombstones'] ?? 'true') === 'true';
    const deletes = settings['delete.handling.mode'] ?? 'drop';
    if (!['drop', 'none', 'rewrite'].includes(deletes)) throw new ConnectError('INVALID_CONFIG', `delete.handling.mode: ${deletes} is not drop, none or rewrite`);
    return (record) => {
      if (record.value === null) return dropTombstones ? null : record;
      const envelope = record.value as { [field: string]: ConnectValue };
      if (typeof envelope !== 'object' || Array.isArray(envelope) || Buffer.isBuffer(envelope) || !('op' in envelope)) return record;
      const rowSchema = record.valueSchema?.fields?.find((f) => f.field === 'after');
      const schema = rowSchema ? (({ field: _field, ...rest }) => rest)(rowSchema) : undefined;
      if (envelope.op === 'd') {
        if (deletes === 'drop') return null;
        if (deletes === 'none') return { ...record, valueSchema: undefined, value: null };
        const fields = [...(schema?.fields ?? []), { field: '__deleted', type: 'string' as const, optional: true }];
        return { ...record, valueSchema: schema && { ...schema, fields }, value: { ...(envelope.before as object), __deleted: 'true' } };
      }
      if (envelope.op === 't') return null;
      const after = envelope.after as { [field: string]: ConnectValue };
      return { ...record, valueSchema: schema, value: deletes === 'rewrite' ? { ...after, __deleted: 'false' } : after };
    };
  },
};
