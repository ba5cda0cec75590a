import { TOPIC_CONFIGS, validateConfigValue } from './topic-configs.ts';
import { isPerListenerKey } from '../security/listener-settings.ts';

/**
 * Broker settings under Kafka's server.properties names. Every key has a default here; a config
 * file and --set override them. Unknown keys are rejected at start-up so a typo is never silently ignored.
 */
export const BROKER_DEFAULTS: Readonly<Record<string, string>> = {
  'node.id': '0',
  // Listeners and their security (docs/security.md): NAME://host:port entries; empty means one PLAINTEXT listener at --host and --port.
  'listeners': '',
  'advertised.listeners': '',
  'listener.security.protocol.map': '',
  // KRaft's controller listeners: those named here are not opened (Millrace has no separate controller).
  'controller.listener.names': '',
  'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
  // In a cluster: the listener brokers talk to each other over (empty: the first), and how they log in to it.
  'inter.broker.listener.name': '',
  'security.inter.broker.protocol': '',
  'sasl.mechanism.inter.broker.protocol': '',
  'sasl.jaas.config': '',
  'sasl.server.max.receive.size': '524288',
  // OAUTHBEARER (docs/security.md): where the identity provider's keys are, and what a token must say.
  'sasl.oauthbearer.jwks.endpoint.url': '',
  'sasl.oauthbearer.jwks.endpoint.refresh.ms': '3600000',
  'sasl.oauthbearer.expected.audience': '',
  'sasl.oauthbearer.expected.issuer': '',
  'sasl.oauthbearer.sub.claim.name': 'sub',
  'sasl.oauthbearer.clock.skew.seconds': '30',
  // KIP-368: how long a SASL login lasts before the client must log in again (0: for ever).
  'connections.max.reauth.ms': '0',
  'connection.failed.authentication.delay.ms': '100',
  'ssl.keystore.type': 'PEM',
  'ssl.keystore.location': '',
  'ssl.keystore.password': '',
  'ssl.keystore.certificate.chain': '',
  'ssl.keystore.key': '',
  'ssl.key.password': '',
  'ssl.truststore.type': 'PEM',
  'ssl.truststore.location': '',
  'ssl.truststore.password': '',
  'ssl.truststore.certificates': '',
  'ssl.client.auth': 'none',
  'ssl.enabled.protocols': 'TLSv1.2,TLSv1.3',
  'ssl.principal.mapping.rules': 'DEFAULT',
  // Connection limits and quotas (docs/security.md): Kafka's "no limit" is 2147483647.
  'max.connections': '2147483647',
  'max.connections.per.ip': '2147483647',
  'max.connections.per.ip.overrides': '',
  'quota.window.size.seconds': '1',
  // Kafka's: a connection with nothing passing on it this long is closed (-1: never).
  'connections.max.idle.ms': '600000',
  // Authorization (docs/security.md): empty means no authorizer, and everything is allowed.
  'authorizer.class.name': '',
  'super.users': '',
  'allow.everyone.if.no.acl.found': 'false',
  'num.partitions': '1',
  'default.replication.factor': '1',
  'auto.create.topics.enable': 'true',
  'delete.topic.enable': 'true',
  'socket.request.max.bytes': String(100 * 1024 * 1024),
  'queued.max.requests': '500',
  'log.dirs': '',
  'log.retention.hours': '168',
  'log.retention.check.interval.ms': '300000',
  'log.retention.minutes': '',
  'log.roll.hours': '168',
  'log.flush.offset.checkpoint.interval.ms': '60000',
  'log.cleaner.enable': 'true',
  'log.cleaner.backoff.ms': '15000',
  'offsets.topic.segment.bytes': String(100 * 1024 * 1024),
  'producer.id.expiration.ms': '86400000',
  'producer.id.expiration.check.interval.ms': '600000',
  'transaction.state.log.num.partitions': '50',
  'transaction.state.log.segment.bytes': String(100 * 1024 * 1024),
  'transaction.max.timeout.ms': '900000',
  'transactional.id.expiration.ms': '604800000',
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': '10000',
  'transaction.remove.expired.transaction.cleanup.interval.ms': '3600000',
  'group.initial.rebalance.delay.ms': '3000',
  'group.min.session.timeout.ms': '6000',
  'group.max.session.timeout.ms': '1800000',
  'offsets.topic.num.partitions': '50',
  // In a cluster: replicas of __consumer_offsets (it cannot be made while fewer brokers are alive).
  'offsets.topic.replication.factor': '3',
  // In a cluster: replicas of __transaction_state, and the ISR size its writes need.
  'transaction.state.log.replication.factor': '3',
  'transaction.state.log.min.isr': '2',
  'offset.metadata.max.bytes': '4096',
  'offsets.retention.minutes': '10080',
  'offsets.retention.check.interval.ms': '600000',
  // Cluster mode (etcd.endpoints set): where the metadata lives, and how replication behaves.
  'etcd.endpoints': '',
  'cluster.name': 'millrace',
  'broker.rack': '',
  'broker.session.timeout.ms': '6000',
  'replica.lag.time.max.ms': '30000',
  'replica.fetch.wait.max.ms': '500',
  'replica.fetch.max.bytes': String(1024 * 1024),
  'auto.leader.rebalance.enable': 'true',
  // KIP-392: empty (consumers read from leaders, or from the follower they are pointed at), or Kafka's
  // org.apache.kafka.common.replica.RackAwareReplicaSelector (a leader points a consumer at a follower in its client.rack).
  'replica.selector.class': '',
  'leader.imbalance.check.interval.seconds': '300',
  'leader.imbalance.per.broker.percentage': '10',
  ...Object.fromEntries(TOPIC_CONFIGS.filter((d) => d.brokerSynonym).map((d) => [d.brokerSynonym!, d.defaultValue])),
};

/** The one replica selector there is (KIP-392), by Kafka's class name, as server.properties files name it. */
export const RACK_AWARE_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';

export class ConfigError extends Error {
  readonly code = 'MILLRACE_CONFIG';
}

/** Parses a server.properties file: `key=value` lines, `#`/`!` comments, blank lines. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const eq = line.search(/[=:]/);
    if (eq <= 0) throw new ConfigError(`line ${i + 1}: expected key=value, got "${line}"`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

export interface BrokerConfig {
  values: Record<string, string>;
  /** Keys set by the operator (file or --set): DescribeConfigs reports them as STATIC_BROKER_CONFIG. */
  explicit: Set<string>;
}

export function buildBrokerConfig(overrides: Record<string, string>): BrokerConfig {
  const values = { ...BROKER_DEFAULTS };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in BROKER_DEFAULTS) && !IGNORED_KAFKA_KEYS.has(key) && !isPerListenerKey(key)) {
      throw new ConfigError(`unknown setting "${key}" (see docs/configuration.md for the settings Millrace reads)`);
    }
    values[key] = value;
    // Topic defaults set at broker level follow the topic config's rules.
    const def = TOPIC_CONFIGS.find((d) => d.brokerSynonym === key);
    const error = def && validateConfigValue({ ...def, name: key }, value);
    if (error) throw new ConfigError(error);
  }
  const selector = values['replica.selector.class'];
  if (selector !== '' && selector !== RACK_AWARE_SELECTOR) {
    throw new ConfigError(`replica.selector.class "${selector}" is not one Millrace has: leave it empty, or use ${RACK_AWARE_SELECTOR}`);
  }
  if (values['compression.type'] !== 'producer') {
    throw new ConfigError('compression.type other than "producer" (recompressing on the broker) is not supported yet');
  }
  // Kafka's precedence: log.retention.ms > minutes > hours; log.roll.ms > hours.
  if (!overrides['log.retention.ms']) {
    const minutes = values['log.retention.minutes'];
    values['log.retention.ms'] = minutes ? String(Number(minutes) * 60_000) : String(Number(values['log.retention.hours']) * 3_600_000);
  }
  if (!overrides['log.roll.ms']) values['log.roll.ms'] = String(Number(values['log.roll.hours']) * 3_600_000);
  return { values, explicit: new Set(Object.keys(overrides)) };
}

/** Kafka settings that mean nothing for a single Millrace broker but appear in copied server.properties files. */
const IGNORED_KAFKA_KEYS = new Set([
  'broker.id', 'process.roles', 'controller.quorum.voters',
  'num.network.threads', 'num.io.threads',
  'socket.send.buffer.bytes', 'socket.receive.buffer.bytes', 'num.recovery.threads.per.data.dir',
  'zookeeper.connect', 'zookeeper.connection.timeout.ms', 'controller.quorum.bootstrap.servers',
]);

/** A setting's text as a whole number of at least `min`, or a ConfigError naming the setting. */
export function wholeNumber(key: string, text: string, min: number): number {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed) || Number(trimmed) < min) throw new ConfigError(`${key} must be a whole number of at least ${min}, not "${text}"`);
  return Number(trimmed);
}

export function intSetting(config: BrokerConfig, key: string): number {
  const n = Number(config.values[key]);
  if (!Number.isFinite(n)) throw new ConfigError(`${key} must be a number, not "${config.values[key]}"`);
  return n;
}

export function boolSetting(config: BrokerConfig, key: string): boolean {
  const v = config.values[key];
  if (v !== 'true' && v !== 'false') throw new ConfigError(`${key} must be true or false, not "${v}"`);
  return v === 'true';
}
