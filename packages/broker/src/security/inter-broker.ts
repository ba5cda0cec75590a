import { type LinkSecurity, SASL_MECHANISMS } from '@millrace/client';
import { parseJaasConfig } from '@millrace/security';
import { ConfigError, type BrokerConfig } from '../config/broker-config.ts';
import { listenerSetting } from './listener-settings.ts';
import { type ListenerSpec, usesSasl } from './listeners.ts';
import { enabledMechanisms } from './sasl-exchange.ts';
import type { ListenerTls } from './tls-options.ts';

export interface InterBroker {
  /** The listener brokers replicate and send transaction markers over: its address is the one registered in the cluster. */
  listener: ListenerSpec;
  /** How this broker reaches that listener on the others: with the listener's own TLS settings, and its own SASL login. */
  security: LinkSecurity;
}

/** Kafka's `inter.broker.listener.name`, or the listener `security.inter.broker.protocol` names, or else the first. */
function chooseListener(config: BrokerConfig, listeners: ListenerSpec[]): ListenerSpec {
  const byName = config.values['inter.broker.listener.name'].trim().toUpperCase();
  const byProtocol = config.values['security.inter.broker.protocol'].trim().toUpperCase();
  if (byName && byProtocol) throw new ConfigError('set inter.broker.listener.name or security.inter.broker.protocol, not both (Kafka\'s rule)');
  const name = byName || byProtocol;
  if (!name) return listeners[0];
  const found = listeners.find((l) => l.name === name);
  if (!found) throw new ConfigError(`${byName ? 'inter.broker.listener.name' : 'security.inter.broker.protocol'} ${name} is not one of the listeners (${listeners.map((l) => l.name).join(', ')})`);
  return found;
}

/**
 * How this broker talks to the others of its cluster, read at start-up. A SASL listener needs
 * `sasl.mechanism.inter.broker.protocol` and the broker's own login in the listener's JAAS entry
 * for that mechanism (`listener.name.<l>.scram-sha-512.sasl.jaas.config=... username="broker"
 * password="...";`), as Kafka's brokers are configured.
 */
export function interBrokerSettings(config: BrokerConfig, listeners: ListenerSpec[], tls: Map<string, ListenerTls>): InterBroker {
  const listener = chooseListener(config, listeners);
  // A single broker talks to no other.
  if (!config.values['etcd.endpoints']) return { listener, security: {} };
  const security: LinkSecurity = {};
  const listenerTls = tls.get(listener.name);
  if (listenerTls) {
    // The listener's truststore vouches for the other brokers, and its keystore is this broker's certificate where they ask for one.
    security.tls = { ca: listenerTls.ca, cert: listenerTls.cert, key: listenerTls.key, pfx: listenerTls.pfx, passphrase: listenerTls.passphrase, minVersion: listenerTls.minVersion, maxVersion: listenerTls.maxVersion };
  }
  if (usesSasl(listener.securityProtocol)) {
    const mechanism = config.values['sasl.mechanism.inter.broker.protocol'].trim().toUpperCase();
    // A broker logs in to the others with a password: the mechanisms the client speaks that way.
    if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
      throw new ConfigError(`the inter-broker listener ${listener.name} uses SASL: set sasl.mechanism.inter.broker.protocol to ${SASL_MECHANISMS.join(', ')}${mechanism ? `, not ${mechanism}` : ''}`);
    }
    if (!enabledMechanisms(config, listener.name).includes(mechanism)) throw new ConfigError(`sasl.mechanism.inter.broker.protocol ${mechanism} is not enabled on listener ${listener.name} (sasl.enabled.mechanisms)`);
    const key = `listener.name.${listener.name.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`;
    const text = listenerSetting(config, listener.name, `${mechanism.toLowerCase()}.sasl.jaas.config`) || config.values['sasl.jaas.config'];
    if (!text) throw new ConfigError(`the inter-broker listener ${listener.name} needs this broker's own ${mechanism} login: set ${key} with username and password`);
    let options: Map<string, string>;
    try {
      options = parseJaasConfig(text).options;
    } catch (err) {
      throw new ConfigError(`${key}: ${(err as Error).message}`);
    }
    const username = options.get('username');
    const password = options.get('password');
    if (!username || !password) throw new ConfigError(`${key} needs username and password: the broker's own login to the others`);
    security.sasl = { mechanism: mechanism as (typeof SASL_MECHANISMS)[number], username, password };
  }
  return { listener, security };
}
