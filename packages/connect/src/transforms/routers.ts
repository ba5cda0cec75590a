import type { ConfigKey, ConfigMap } from '../connector.ts';
import { ConnectError } from '../errors.ts';
import type { TransformPlugin } from './record.ts';

const REGEX_CONFIG: ConfigKey[] = [
  { name: 'regex', type: 'string', importance: 'high', documentation: 'A regular expression the whole topic name must match.' },
  { name: 'replacement', type: 'string', importance: 'high', documentation: 'The new topic name; $1, $2... are the regex\'s groups.' },
];

/** org.apache.kafka.connect.transforms.RegexRouter: renames a topic that matches a regular expression in full. */
export const regexRouter: TransformPlugin = {
  configDef: REGEX_CONFIG,
  create(settings: ConfigMap) {
    let regex: RegExp;
    try {
      regex = new RegExp(`^(?:${settings.regex})$`);
    } catch (err) {
      throw new ConnectError('INVALID_CONFIG', `regex: ${(err as Error).message}`);
    }
    return (record) => (regex.test(record.topic) ? { ...record, topic: record.topic.replace(regex, settings.replacement) } : record);
  },
};

const TIMESTAMP_CONFIG: ConfigKey[] = [
  { name: 'topic.format', type: 'string', default: '${topic}-${timestamp}', importance: 'high', documentation: 'The new topic name: ${topic} and ${timestamp} are replaced.' },
  { name: 'timestamp.format', type: 'string', default: 'yyyyMMdd', importance: 'high', documentation: 'How the timestamp is written, as Java\'s SimpleDateFormat (in UTC): yyyy, yy, MM, dd, HH, mm, ss, SSS and quoted text.' },
];

const PATTERN = /'([^']*)'|yyyy|yy|MM|dd|HH|mm|ss|SSS/g;

/** A timestamp in UTC written with the SimpleDateFormat letters most used in topic names. */
export function formatTimestamp(format: string, ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return format.replace(PATTERN, (token, quoted: string | undefined) => {
    if (quoted !== undefined) return quoted === '' ? '\'' : quoted;
    switch (token) {
      case 'yyyy': return String(d.getUTCFullYear());
      case 'yy': return pad(d.getUTCFullYear() % 100);
      case 'MM': return pad(d.getUTCMonth() + 1);
      case 'dd': return pad(d.getUTCDate());
      case 'HH': return pad(d.getUTCHours());
      case 'mm': return pad(d.getUTCMinutes());
      case 'ss': return pad(d.getUTCSeconds());
      default: return pad(d.getUTCMilliseconds(), 3);
    }
  });
}

/** org.apache.kafka.connect.transforms.TimestampRouter: sends each record to a topic named after its topic and timestamp (daily or hourly topics). */
export const timestampRouter: TransformPlugin = {
  configDef: TIMESTAMP_CONFIG,
  create(settings: ConfigMap) {
    const topicFormat = settings['topic.format'] ?? '${topic}-${timestamp}';
    const timestampFormat = settings['timestamp.format'] ?? 'yyyyMMdd';
    return (record) => {
      if (record.timestamp === undefined) throw new ConnectError('TRANSFORM', `TimestampRouter: a record for ${record.topic} has no timestamp`);
      return { ...record, topic: topicFormat.replaceAll('${topic}', record.topic).replaceAll('${timestamp}', formatTimestamp(timestampFormat, record.timestamp)) };
    };
  },
};

/** org.apache.kafka.connect.transforms.Filter: drops every record (used with a predicate, it drops those that match). */
export const filter: TransformPlugin = {
  configDef: [],
  create: () => () => null,
};
