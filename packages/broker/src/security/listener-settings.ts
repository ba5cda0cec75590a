import type { BrokerConfig } from '../config/broker-config.ts';

/** Settings a listener may override with `listener.name.<listener>.<setting>` (Kafka's per-listener prefix). */
export const PER_LISTENER_SETTINGS = [
  'ssl.keystore.type', 'ssl.keystore.location', 'ssl.keystore.password', 'ssl.keystore.certificate.chain', 'ssl.keystore.key', 'ssl.key.password',
  'ssl.truststore.type', 'ssl.truststore.location', 'ssl.truststore.password', 'ssl.truststore.certificates',
  'ssl.client.auth', 'ssl.enabled.protocols', 'ssl.principal.mapping.rules',
  'sasl.enabled.mechanisms', 'sasl.jaas.config',
  'sasl.oauthbearer.jwks.endpoint.url', 'sasl.oauthbearer.jwks.endpoint.refresh.ms', 'sasl.oauthbearer.expected.audience',
  'sasl.oauthbearer.expected.issuer', 'sasl.oauthbearer.sub.claim.name', 'sasl.oauthbearer.clock.skew.seconds',
  'connections.max.reauth.ms', 'max.connections',
] as const;

const PREFIX = /^listener\.name\.([a-z0-9_]+)\.(.+)$/;

/**
 * Whether `key` is a per-listener form Millrace reads: a listed setting, a mechanism's JAAS entry
 * (PLAIN's users; the broker's own login to the others of its cluster), or OAUTHBEARER's validator.
 */
export function isPerListenerKey(key: string): boolean {
  const match = PREFIX.exec(key);
  if (!match) return false;
  const rest = match[2];
  return (PER_LISTENER_SETTINGS as readonly string[]).includes(rest) || /^(plain|scram-sha-256|scram-sha-512|oauthbearer)\.sasl\.jaas\.config$/.test(rest)
    || rest === 'oauthbearer.sasl.server.callback.handler.class';
}

/** A setting as a listener sees it: its own `listener.name.<name>.` value first, then the broker-wide one. */
export function listenerSetting(config: BrokerConfig, listener: string, key: string): string {
  return config.values[`listener.name.${listener.toLowerCase()}.${key}`] ?? config.values[key] ?? '';
}
