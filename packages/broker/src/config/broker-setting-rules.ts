import { isBooleanText } from './topic-configs.ts';

/**
 * What each broker setting may be, checked at start-up so that `num.partitions=abc` or
 * `log.retention.hours=-5` stops the broker with one clear line instead of making NaN-partition
 * topics. Ranges are Kafka's where Kafka has one; timer intervals stop at 2^31-1 ms, past which
 * Node's timers fire at once. Topic defaults set at broker level follow their topic config's rules
 * (topic-configs.ts) and are not listed here.
 */
export type SettingRule =
  | { kind: 'number'; min: number; max: number; emptyAllowed?: boolean }
  | { kind: 'boolean' }
  /** Free text, or a format that the code reading it checks at start-up (listeners, TLS, SASL, ...). */
  | { kind: 'text' };

const INT_MAX = 2_147_483_647;
const number = (min: number, max = INT_MAX): SettingRule => ({ kind: 'number', min, max });
const long = (min: number): SettingRule => ({ kind: 'number', min, max: Number.MAX_SAFE_INTEGER });
const boolean: SettingRule = { kind: 'boolean' };
const text: SettingRule = { kind: 'text' };

export const BROKER_SETTING_RULES: Readonly<Record<string, SettingRule>> = {
  'node.id': number(0),
  'listeners': text,
  'advertised.listeners': text,
  'listener.security.protocol.map': text,
  'controller.listener.names': text,
  'sasl.enabled.mechanisms': text,
  'inter.broker.listener.name': text,
  'security.inter.broker.protocol': text,
  'sasl.mechanism.inter.broker.protocol': text,
  'sasl.jaas.config': text,
  'sasl.server.max.receive.size': number(1),
  'sasl.oauthbearer.jwks.endpoint.url': text,
  'sasl.oauthbearer.jwks.endpoint.refresh.ms': number(0),
  'sasl.oauthbearer.expected.audience': text,
  'sasl.oauthbearer.expected.issuer': text,
  'sasl.oauthbearer.sub.claim.name': text,
  'sasl.oauthbearer.clock.skew.seconds': number(0),
  'connections.max.reauth.ms': long(0),
  'connection.failed.authentication.delay.ms': number(0),
  'ssl.keystore.type': text,
  'ssl.keystore.location': text,
  'ssl.keystore.password': text,
  'ssl.keystore.certificate.chain': text,
  'ssl.keystore.key': text,
  'ssl.key.password': text,
  'ssl.truststore.type': text,
  'ssl.truststore.location': text,
  'ssl.truststore.password': text,
  'ssl.truststore.certificates': text,
  'ssl.client.auth': text,
  'ssl.enabled.protocols': text,
  'ssl.principal.mapping.rules': text,
  'max.connections': number(0),
  'max.connections.per.ip': number(0),
  'max.connections.per.ip.overrides': text,
  'quota.window.size.seconds': number(1),
  'controller.quota.window.num': number(1),
  'controller.quota.window.size.seconds': number(1),
  // -1: never close an idle connection.
  'connections.max.idle.ms': number(-1),
  'authorizer.class.name': text,
  'super.users': text,
  'allow.everyone.if.no.acl.found': boolean,
  'num.partitions': number(1),
  'default.replication.factor': number(1, 32_767),
  'auto.create.topics.enable': boolean,
  'delete.topic.enable': boolean,
  'socket.request.max.bytes': number(1),
  'queued.max.requests': number(1),
  'log.dirs': text,
  'log.dir': text,
  // -1: keep records for ever (Kafka reads any negative so; other negatives here are taken for typos).
  'log.retention.hours': number(-1),
  'log.retention.minutes': { kind: 'number', min: -1, max: INT_MAX, emptyAllowed: true },
  'log.retention.check.interval.ms': number(1),
  'log.roll.hours': number(1),
  'log.flush.offset.checkpoint.interval.ms': number(1),
  'log.cleaner.enable': boolean,
  'log.cleaner.backoff.ms': number(1),
  'offsets.topic.segment.bytes': number(1),
  'producer.id.expiration.ms': long(1),
  'producer.id.expiration.check.interval.ms': number(1),
  'transaction.state.log.num.partitions': number(1),
  'transaction.state.log.segment.bytes': number(1),
  'transaction.max.timeout.ms': number(1),
  'transactional.id.expiration.ms': long(1),
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': number(1),
  'transaction.remove.expired.transaction.cleanup.interval.ms': number(1),
  'group.initial.rebalance.delay.ms': number(0),
  'group.min.session.timeout.ms': number(0),
  'group.max.session.timeout.ms': number(0),
  'offsets.topic.num.partitions': number(1),
  'offsets.topic.replication.factor': number(1, 32_767),
  'transaction.state.log.replication.factor': number(1, 32_767),
  'transaction.state.log.min.isr': number(1),
  'offset.metadata.max.bytes': number(0),
  'offsets.retention.minutes': number(1),
  'offsets.retention.check.interval.ms': number(1),
  'etcd.endpoints': text,
  'cluster.name': text,
  'broker.rack': text,
  'broker.session.timeout.ms': number(1000),
  'replica.lag.time.max.ms': number(1),
  'replica.fetch.wait.max.ms': number(0),
  'replica.fetch.max.bytes': number(1),
  'auto.leader.rebalance.enable': boolean,
  'replica.selector.class': text,
  'leader.imbalance.check.interval.seconds': number(1, 2_147_483),
  'leader.imbalance.per.broker.percentage': number(0, 100),
};

/** Why `value` is not a valid `key`, or null when it is. */
export function settingError(key: string, value: string, rule: SettingRule): string | null {
  const trimmed = value.trim();
  switch (rule.kind) {
    case 'text':
      return null;
    case 'boolean':
      return isBooleanText(trimmed) ? null : `${key} must be true or false, not "${value}"`;
    case 'number': {
      if (trimmed === '' && rule.emptyAllowed) return null;
      const n = Number(trimmed);
      if (!/^-?\d+$/.test(trimmed) || n < rule.min || n > rule.max) {
        return `${key} must be a whole number from ${rule.min} to ${rule.max}, not "${value}"`;
      }
      return null;
    }
  }
}
