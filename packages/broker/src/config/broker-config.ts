import { ConfigType, isTrue, TOPIC_CONFIGS, validateConfigValue } from './topic-configs.ts';
import { BROKER_SETTING_RULES, settingError } from './broker-setting-rules.ts';
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
  // KIP-599: a client may create or delete this many seconds' worth of its controller_mutation_rate at once.
  'controller.quota.window.num': '11',
  'controller.quota.window.size.seconds': '1',
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
  // Kafka's names for the data directory (one here: Millrace keeps a broker's data in one directory); --data-dir wins.
  'log.dirs': '',
  'log.dir': '',
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
  /** Kafka settings the operator gave that mean nothing here, with why: the broker says so at start-up. */
  unused: Map<string, string>;
}

export function buildBrokerConfig(overrides: Record<string, string>): BrokerConfig {
  const values = { ...BROKER_DEFAULTS };
  const unused = new Map<string, string>();
  for (const [key, value] of Object.entries(overrides)) {
    const why = UNUSED_KAFKA_KEYS.get(key);
    if (why !== undefined) {
      unused.set(key, why);
      continue;
    }
    if (key === 'broker.id') continue;
    if (!(key in BROKER_DEFAULTS) && !isPerListenerKey(key)) {
      throw new ConfigError(`unknown setting "${key}" (see docs/configuration.md for the settings Millrace reads)`);
    }
    const rule = BROKER_SETTING_RULES[key];
    // Topic defaults set at broker level follow the topic config's rules.
    const def = TOPIC_CONFIGS.find((d) => d.brokerSynonym === key);
    const error = rule ? settingError(key, value, rule) : def ? validateConfigValue({ ...def, name: key }, value) : null;
    if (error) throw new ConfigError(error);
    // Booleans are kept as "true" or "false", however they were written.
    values[key] = rule?.kind === 'boolean' || def?.type === ConfigType.BOOLEAN ? String(isTrue(value)) : value;
  }
  // ZooKeeper-era files name the broker broker.id; KRaft ones node.id. Both may be given if they agree.
  const brokerId = overrides['broker.id'];
  if (brokerId !== undefined) {
    const error = settingError('broker.id', brokerId, BROKER_SETTING_RULES['node.id']);
    if (error) throw new ConfigError(error);
    if (overrides['node.id'] !== undefined && Number(overrides['node.id']) !== Number(brokerId)) {
      throw new ConfigError(`broker.id=${brokerId} and node.id=${overrides['node.id']} name different brokers: keep one of them`);
    }
    values['node.id'] = brokerId.trim();
  }
  dataDirectorySetting(values);
  if (Number(values['group.min.session.timeout.ms']) > Number(values['group.max.session.timeout.ms'])) {
    throw new ConfigError(`group.min.session.timeout.ms (${values['group.min.session.timeout.ms']}) is more than group.max.session.timeout.ms (${values['group.max.session.timeout.ms']})`);
  }
  const selector = values['replica.selector.class'];
  if (selector !== '' && selector !== RACK_AWARE_SELECTOR) {
    throw new ConfigError(`replica.selector.class "${selector}" is not one Millrace has: leave it empty, or use ${RACK_AWARE_SELECTOR}`);
  }
  if (values['compression.type'] !== 'producer') {
    throw new ConfigError('compression.type other than "producer" (recompressing on the broker) is not supported yet');
  }
  // Kafka's precedence: log.retention.ms > minutes > hours; log.roll.ms > hours. -1 is for ever.
  if (!overrides['log.retention.ms']) {
    const minutes = values['log.retention.minutes'].trim();
    const hours = Number(values['log.retention.hours']);
    values['log.retention.ms'] = minutes ? (minutes === '-1' ? '-1' : String(Number(minutes) * 60_000)) : hours === -1 ? '-1' : String(hours * 3_600_000);
  }
  if (!overrides['log.roll.ms']) values['log.roll.ms'] = String(Number(values['log.roll.hours']) * 3_600_000);
  return { values, explicit: new Set(Object.keys(overrides)), unused };
}

/** The data directory server.properties names (log.dirs, else log.dir), or null; Millrace keeps a broker's data in one. */
export function dataDirectorySetting(values: Record<string, string>): string | null {
  for (const key of ['log.dirs', 'log.dir']) {
    const dirs = (values[key] ?? '').split(',').map((d) => d.trim()).filter((d) => d !== '');
    if (dirs.length > 1) throw new ConfigError(`${key} names ${dirs.length} directories; a Millrace broker keeps its data in one: name one`);
    if (dirs.length === 1) return dirs[0];
  }
  return null;
}

/** Kafka settings that mean nothing for Millrace but appear in copied server.properties files, with why. */
const UNUSED_KAFKA_KEYS = new Map([
  ['process.roles', 'Millrace has no separate KRaft controller role'],
  ['controller.quorum.voters', 'a Millrace cluster keeps its metadata in etcd (etcd.endpoints), not a KRaft quorum'],
  ['controller.quorum.bootstrap.servers', 'a Millrace cluster keeps its metadata in etcd (etcd.endpoints), not a KRaft quorum'],
  ['zookeeper.connect', 'a Millrace cluster keeps its metadata in etcd (etcd.endpoints), not ZooKeeper'],
  ['zookeeper.connection.timeout.ms', 'a Millrace cluster keeps its metadata in etcd (etcd.endpoints), not ZooKeeper'],
  ['num.network.threads', 'Millrace serves on one event loop, with no thread pools to size'],
  ['num.io.threads', 'Millrace serves on one event loop, with no thread pools to size'],
  ['num.recovery.threads.per.data.dir', 'Millrace serves on one event loop, with no thread pools to size'],
  ['socket.send.buffer.bytes', "the operating system's socket buffer sizes are used"],
  ['socket.receive.buffer.bytes', "the operating system's socket buffer sizes are used"],
  ['num.replica.fetchers', 'a Millrace broker fetches from each leader on one event loop'],
  ['metadata.log.dir', 'a Millrace cluster keeps its metadata in etcd (etcd.endpoints), not a KRaft log'],
  ['inter.broker.protocol.version', 'every Millrace broker speaks the same protocol versions'],
  ['log.message.format.version', 'Millrace writes record batches v2 only'],
  ['broker.id.generation.enable', 'a Millrace broker takes its id from node.id (default 0)'],
  ['group.coordinator.rebalance.protocols', "Millrace's group coordinator serves the classic protocol"],
  ['share.coordinator.state.topic.replication.factor', 'Millrace has no share groups'],
  ['share.coordinator.state.topic.min.isr', 'Millrace has no share groups'],
]);

/** A setting's text as a whole number of at least `min`, or a ConfigError naming the setting. */
export function wholeNumber(key: string, text: string, min: number): number {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed) || Number(trimmed) < min) throw new ConfigError(`${key} must be a whole number of at least ${min}, not "${text}"`);
  return Number(trimmed);
}
