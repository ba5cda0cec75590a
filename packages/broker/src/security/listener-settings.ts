import type { BrokerConfig } from '../config/broker-config.ts';

/** Settings a listener may override with `listener.name.<listener>.<setting>` (Kafka's per-listener prefix). */
export const PER_LISTENER_SETTINGS = [
  'ssl.keystore.type', 'ssl.keystore.location', 'ssl.keystore.password', 'ssl.keystore.certificate.chain', 'ssl.keystore.key', 'ssl.key.password',
  'ssl.truststore.type', 'ssl.truststore.location', 'ssl.truststore.password', 'ssl.truststore.certificates',
  'ssl.client.auth', 'ssl.enabled.protocols', 'ssl.principal.mapping.rules',
  'sasl.enabled.mechanisms', 'sasl.jaas.config',
  'max.connections',
] as const;

const PREFIX = /^listener\.name\.([a-z0-9_]+)\.(.+)$/;

/**
 * Whether `key` is a per-listener form Millrace reads: a listed setting, or a mechanism's JAAS
 * entry (PLAIN's users; the broker's own login to the others of its cluster).
 */
export function isPerListenerKey(key: string): boolean {
  const match = PREFIX.exec(key);
  if (!match) return false;
  const rest = match[2];
  return (PER_LISTENER_SETTINGS as readonly string[]).includes(rest) || /^(plain|scram-sha-256|scram-sha-512)\.sasl\.jaas\.config$/.test(rest);
}

/** A setting as a listener sees it: its own `listener.name.<name>.` value first, then the broker-wide one. */
export function listenerSetting(config: BrokerConfig, listener: string, key: string): string {
  return config.values[`listener.name.${listener.toLowerCase()}.${key}`] ?? config.values[key] ?? '';
}
