import type { ConfigKey, ConfigMap } from '../connector.ts';
import { ConnectError } from '../errors.ts';
import type { ConnectRecord } from './record.ts';

export interface PredicatePlugin {
  configDef: ConfigKey[];
  create(settings: ConfigMap): (record: ConnectRecord) => boolean;
}

/** org.apache.kafka.connect.transforms.predicates.TopicNameMatches: the whole topic name matches `pattern`. */
const topicNameMatches: PredicatePlugin = {
  configDef: [{ name: 'pattern', type: 'string', importance: 'medium', documentation: 'A regular expression the whole topic name must match.' }],
  create(settings) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${settings.pattern})$`);
    } catch (err) {
      throw new ConnectError('INVALID_CONFIG', `pattern: ${(err as Error).message}`);
    }
    return (record) => pattern.test(record.topic);
  },
};

/** org.apache.kafka.connect.transforms.predicates.HasHeaderKey: the record has a header named `name`. */
const hasHeaderKey: PredicatePlugin = {
  configDef: [{ name: 'name', type: 'string', importance: 'medium', documentation: 'The header name.' }],
  create: (settings) => (record) => (record.headers ?? []).some((h) => h.key === settings.name),
};

/** org.apache.kafka.connect.transforms.predicates.RecordIsTombstone: the value is null. */
const recordIsTombstone: PredicatePlugin = {
  configDef: [],
  create: () => (record) => record.value === null,
};

export const PREDICATES: Record<string, PredicatePlugin> = {
  'org.apache.kafka.connect.transforms.predicates.TopicNameMatches': topicNameMatches,
  'org.apache.kafka.connect.transforms.predicates.HasHeaderKey': hasHeaderKey,
  'org.apache.kafka.connect.transforms.predicates.RecordIsTombstone': recordIsTombstone,
};
