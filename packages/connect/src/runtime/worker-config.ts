import type { ConfigKey, ConfigMap } from '../connector.ts';
import { checkConfig, intSetting } from '../config.ts';
import { converterFor } from '../converters/converters.ts';
import { ConnectError } from '../errors.ts';

/** Settings of every worker, by Kafka Connect's names. */
const COMMON_WORKER_CONFIG: ConfigKey[] = [
  { name: 'bootstrap.servers', type: 'list', default: 'localhost:9092', importance: 'high', documentation: 'The brokers, host:port, comma-separated.' },
  { name: 'key.converter', type: 'class', importance: 'high', documentation: 'How record keys are turned into bytes and back.' },
  { name: 'value.converter', type: 'class', importance: 'high', documentation: 'How record values are turned into bytes and back.' },
  { name: 'offset.flush.interval.ms', type: 'long', default: '60000', importance: 'low', documentation: 'How often offsets are stored (sources) or committed (sinks).' },
  { name: 'consumer.session.timeout.ms', type: 'int', default: '45000', importance: 'low', documentation: 'How long a sink task\'s consumer group waits for a silent worker before moving its partitions.' },
  { name: 'listeners', type: 'list', default: 'http://:8083', importance: 'low', documentation: 'Where the REST API listens: http://host:port (an empty host: every interface; port 0: any free port).' },
  { name: 'rest.advertised.host.name', type: 'string', default: null, importance: 'low', documentation: 'The host name other workers and the status API give for this worker (default: the listener\'s host, or this machine\'s name).' },
  { name: 'rest.advertised.port', type: 'int', default: null, importance: 'low', documentation: 'The port given with rest.advertised.host.name (default: the port listened on).' },
];

export const STANDALONE_WORKER_CONFIG: ConfigKey[] = [
  ...COMMON_WORKER_CONFIG,
  { name: 'offset.storage.file.filename', type: 'string', importance: 'high', documentation: 'The file source offsets are stored in.' },
];

/** A worker's settings, checked: what every part of the worker reads. */
export interface WorkerSettings {
  config: ConfigMap;
  brokers: string[];
  flushIntervalMs: number;
  sessionTimeoutMs: number;
  listener: { host: string; port: number };
}

/** Checks a worker's settings (INVALID_CONFIG naming what is wrong) and reads the ones every worker uses. */
export function workerSettings(defs: ConfigKey[], config: ConfigMap): WorkerSettings {
  checkConfig('worker', defs, config);
  // Both must name a converter Millrace has; checked now rather than when a connector starts.
  converterFor('key.converter', config);
  converterFor('value.converter', config);
  return {
    config,
    brokers: (config['bootstrap.servers'] ?? 'localhost:9092').split(',').map((b) => b.trim()).filter(Boolean),
    flushIntervalMs: intSetting(config, defs, 'offset.flush.interval.ms'),
    sessionTimeoutMs: intSetting(config, defs, 'consumer.session.timeout.ms'),
    listener: parseListener(config.listeners ?? 'http://:8083'),
  };
}

function parseListener(listeners: string): { host: string; port: number } {
  const first = listeners.split(',')[0].trim();
  const match = /^http:\/\/(\[[^\]]*\]|[^:/]*):(\d+)\/?$/.exec(first);
  if (!match) throw new ConnectError('INVALID_CONFIG', `listeners: "${first}" is not http://host:port (https comes with TLS support)`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}
