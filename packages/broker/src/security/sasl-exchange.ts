import {
  invalidCredentials, isScramMechanism, type JaasEntry, parseJaasConfig, parsePlain, passwordMatches, SaslAuthenticationError, ScramServer,
} from '@millrace/security';
import { ConfigError, type BrokerConfig } from '../config/broker-config.ts';
import { listenerSetting } from './listener-settings.ts';
import type { ScramCredentialStore } from './scram-store.ts';

export const SUPPORTED_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/** One client's SASL exchange: tokens in, tokens out, until it completes with a user name or throws SaslAuthenticationError. */
export interface SaslExchange {
  evaluate(token: Buffer): { response: Buffer; complete: boolean };
  /** The authenticated user, once complete. */
  readonly username: string | null;
}

/** The mechanisms a listener offers (sasl.enabled.mechanisms), checked at start-up. */
export function enabledMechanisms(config: BrokerConfig, listener: string): string[] {
  const list = listenerSetting(config, listener, 'sasl.enabled.mechanisms').split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
  const unknown = list.find((m) => !(SUPPORTED_MECHANISMS as readonly string[]).includes(m));
  if (unknown) throw new ConfigError(`listener ${listener}: SASL mechanism ${unknown} is not supported (sasl.enabled.mechanisms may hold ${SUPPORTED_MECHANISMS.join(', ')})`);
  if (list.length === 0) throw new ConfigError(`listener ${listener}: sasl.enabled.mechanisms is empty`);
  return list;
}

const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';

/**
 * The PLAIN users of a listener's JAAS entry (`user_<name>="<password>"`, Kafka's PlainLoginModule),
 * or null when none is configured and PLAIN checks passwords against the SCRAM credentials instead.
 */
export function plainUsers(config: BrokerConfig, listener: string): Map<string, string> | null {
  const text = listenerSetting(config, listener, 'plain.sasl.jaas.config') || listenerSetting(config, listener, 'sasl.jaas.config');
  if (!text) return null;
  let entry: JaasEntry;
  try {
    entry = parseJaasConfig(text);
  } catch (err) {
    throw new ConfigError(`listener ${listener}: ${(err as Error).message}`);
  }
  if (entry.loginModule !== PLAIN_LOGIN_MODULE) return null;
  const users = new Map<string, string>();
  for (const [key, value] of entry.options) if (key.startsWith('user_')) users.set(key.slice('user_'.length), value);
  return users;
}

class PlainExchange implements SaslExchange {
  username: string | null = null;
  private readonly check: (username: string, password: string) => boolean;

  constructor(check: (username: string, password: string) => boolean) {
    this.check = check;
  }

  evaluate(token: Buffer): { response: Buffer; complete: boolean } {
    if (this.username !== null) throw new SaslAuthenticationError('SASL/PLAIN exchange is already complete');
    const { username, password } = parsePlain(token);
    if (!this.check(username, password)) throw invalidCredentials('PLAIN');
    this.username = username;
    return { response: Buffer.alloc(0), complete: true };
  }
}

/** Starts the exchange for a mechanism a listener offers. */
export function createSaslExchange(mechanism: string, users: Map<string, string> | null, scram: ScramCredentialStore): SaslExchange {
  if (isScramMechanism(mechanism)) return new ScramServer(mechanism, (user) => scram.get(user, mechanism));
  if (users) return new PlainExchange((user, password) => users.has(user) && users.get(user) === password);
  return new PlainExchange((user, password) => {
    const credential = scram.get(user, 'SCRAM-SHA-512') ?? scram.get(user, 'SCRAM-SHA-256');
    const mechanism = scram.get(user, 'SCRAM-SHA-512') ? 'SCRAM-SHA-512' : 'SCRAM-SHA-256';
    return credential !== undefined && passwordMatches(mechanism, credential, password);
  });
}
