/**
 * Topic-level configs: their Kafka names, types and defaults, and the broker setting each falls
 * back to (its "synonym"). DescribeConfigs lists every one of them with its value and source.
 */
export const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 } as const;
export type ConfigTypeCode = (typeof ConfigType)[keyof typeof ConfigType];

export interface ConfigDef {
  name: string;
  type: ConfigTypeCode;
  /** Kafka's default, as Kafka prints it. */
  defaultValue: string;
  /** The server.properties key whose value becomes this config's default, if any. */
  brokerSynonym: string | null;
  /** Allowed values for enumerated string configs. */
  choices?: readonly string[];
  /** Smallest allowed value for numeric configs. */
  min?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const TOPIC_CONFIGS: readonly ConfigDef[] = [
  { name: 'cleanup.policy', type: ConfigType.LIST, defaultValue: 'delete', brokerSynonym: 'log.cleanup.policy', choices: ['delete', 'compact', 'compact,delete', 'delete,compact'] },
  { name: 'compression.type', type: ConfigType.STRING, defaultValue: 'producer', brokerSynonym: 'compression.type', choices: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] },
  { name: 'delete.retention.ms', type: ConfigType.LONG, defaultValue: String(DAY_MS), brokerSynonym: 'log.cleaner.delete.retention.ms', min: 0 },
  { name: 'file.delete.delay.ms', type: ConfigType.LONG, defaultValue: '60000', brokerSynonym: 'log.segment.delete.delay.ms', min: 0 },
  { name: 'flush.messages', type: ConfigType.LONG, defaultValue: '9223372036854775807', brokerSynonym: 'log.flush.interval.messages', min: 1 },
  { name: 'flush.ms', type: ConfigType.LONG, defaultValue: '9223372036854775807', brokerSynonym: 'log.flush.interval.ms', min: 0 },
  { name: 'index.interval.bytes', type: ConfigType.INT, defaultValue: '4096', brokerSynonym: 'log.index.interval.bytes', min: 0 },
  { name: 'max.compaction.lag.ms', type: ConfigType.LONG, defaultValue: '9223372036854775807', brokerSynonym: 'log.cleaner.max.compaction.lag.ms', min: 1 },
  { name: 'max.message.bytes', type: ConfigType.INT, defaultValue: '1048588', brokerSynonym: 'message.max.bytes', min: 0 },
  { name: 'message.timestamp.after.max.ms', type: ConfigType.LONG, defaultValue: '9223372036854775807', brokerSynonym: 'log.message.timestamp.after.max.ms', min: 0 },
  { name: 'message.timestamp.before.max.ms', type: ConfigType.LONG, defaultValue: '9223372036854775807', brokerSynonym: 'log.message.timestamp.before.max.ms', min: 0 },
  { name: 'message.timestamp.type', type: ConfigType.STRING, defaultValue: 'CreateTime', brokerSynonym: 'log.message.timestamp.type', choices: ['CreateTime', 'LogAppendTime'] },
  { name: 'min.cleanable.dirty.ratio', type: ConfigType.DOUBLE, defaultValue: '0.5', brokerSynonym: 'log.cleaner.min.cleanable.ratio', min: 0 },
  { name: 'min.compaction.lag.ms', type: ConfigType.LONG, defaultValue: '0', brokerSynonym: 'log.cleaner.min.compaction.lag.ms', min: 0 },
  { name: 'min.insync.replicas', type: ConfigType.INT, defaultValue: '1', brokerSynonym: 'min.insync.replicas', min: 1 },
  { name: 'preallocate', type: ConfigType.BOOLEAN, defaultValue: 'false', brokerSynonym: 'log.preallocate' },
  { name: 'retention.bytes', type: ConfigType.LONG, defaultValue: '-1', brokerSynonym: 'log.retention.bytes' },
  { name: 'retention.ms', type: ConfigType.LONG, defaultValue: String(7 * DAY_MS), brokerSynonym: 'log.retention.ms', min: -1 },
  { name: 'segment.bytes', type: ConfigType.INT, defaultValue: '1073741824', brokerSynonym: 'log.segment.bytes', min: 14 },
  { name: 'segment.index.bytes', type: ConfigType.INT, defaultValue: '10485760', brokerSynonym: 'log.index.size.max.bytes', min: 4 },
  { name: 'segment.jitter.ms', type: ConfigType.LONG, defaultValue: '0', brokerSynonym: 'log.roll.jitter.ms', min: 0 },
  { name: 'segment.ms', type: ConfigType.LONG, defaultValue: String(7 * DAY_MS), brokerSynonym: 'log.roll.ms', min: 1 },
  { name: 'unclean.leader.election.enable', type: ConfigType.BOOLEAN, defaultValue: 'false', brokerSynonym: 'unclean.leader.election.enable' },
];

export const TOPIC_CONFIG_BY_NAME: ReadonlyMap<string, ConfigDef> = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));

/** Kafka reads booleans in any case ("TRUE", "False"). */
export function isBooleanText(value: string): boolean {
  return /^(true|false)$/i.test(value.trim());
}

/** A boolean setting's value as a boolean (valid values only reach here). */
export function isTrue(value: string): boolean {
  return value.trim().toLowerCase() === 'true';
}

/** Checks one value against its definition; returns an error message or null. */
export function validateConfigValue(def: ConfigDef, value: string): string | null {
  const trimmed = value.trim();
  switch (def.type) {
    case ConfigType.BOOLEAN:
      return isBooleanText(trimmed) ? null : `${def.name} must be true or false, not "${value}"`;
    case ConfigType.INT:
    case ConfigType.SHORT:
    case ConfigType.LONG: {
      if (!/^-?\d+$/.test(trimmed)) return `${def.name} must be an integer, not "${value}"`;
      const n = BigInt(trimmed);
      const max = def.type === ConfigType.LONG ? 2n ** 63n - 1n : 2n ** 31n - 1n;
      if (n > max) return `${def.name} ${value} is too large`;
      if (def.min !== undefined && n < BigInt(def.min)) return `${def.name} must be at least ${def.min}, not ${value}`;
      return null;
    }
    case ConfigType.DOUBLE: {
      const n = Number(trimmed);
      if (trimmed === '' || Number.isNaN(n)) return `${def.name} must be a number, not "${value}"`;
      if (def.min !== undefined && n < def.min) return `${def.name} must be at least ${def.min}, not ${value}`;
      return null;
    }
    default:
      if (def.choices && !def.choices.includes(normalizeList(trimmed))) {
        return `${def.name} must be one of ${def.choices.join(' | ')}, not "${value}"`;
      }
      return null;
  }
}

function normalizeList(value: string): string {
  return value.split(',').map((s) => s.trim()).join(',');
}
