import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  isScramMechanism, type JaasEntry, makeScramCredential, parseJaasConfig, parsePlain, passwordMatches, SaslAuthenticationError, ScramServer,
} from '@millrace/security';
import { ConfigError, type BrokerConfig } from '../config/broker-config.ts';
import { listenerSetting } from './listener-settings.ts';
import type { ScramCredentialStore } from './scram-store.ts';
import type { OAuthValidator } from './oauth-validator.ts';
import { OAuthBearerExchange } from './oauthbearer-exchange.ts';

export const SUPPORTED_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;

/** One client's SASL exchange: tokens in, tokens out, until it completes with a user name or throws (or rejects with) SaslAuthenticationError. */
export interface SaslExchange {
  evaluate(token: Buffer): { response: Buffer; complete: boolean } | Promise<{ response: Buffer; complete: boolean }>;
  /** The authenticated user, once complete. */
  readonly username: string | null;
  /** When what the client logged in with expires (an OAUTHBEARER token), if it does. */
  readonly expiresAtMs?: number | null;
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

/** Kafka's words for a failed PLAIN login, the same for an unknown user and a wrong password. */
const PLAIN_FAILED = 'Authentication failed: Invalid username or password';

class PlainExchange implements SaslExchange {
  username: string | null = null;
  private readonly check: (username: string, password: string) => Promise<boolean>;

  constructor(check: (username: string, password: string) => Promise<boolean>) {
    this.check = check;
  }

  async evaluate(token: Buffer): Promise<{ response: Buffer; complete: boolean }> {
    if (this.username !== null) throw new SaslAuthenticationError('SASL/PLAIN exchange is already complete');
    const { username, password } = parsePlain(token);
    if (!(await this.check(username, password))) throw new SaslAuthenticationError(PLAIN_FAILED);
    this.username = username;
    return { response: Buffer.alloc(0), complete: true };
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * What an unknown user's password is checked against, so that it costs what a known user's does
 * (the time of an answer must not tell which names exist).
 */
const NOBODY = makeScramCredential('SCRAM-SHA-512', randomBytes(16).toString('hex'));

/** Starts the exchange for a mechanism a listener offers. */
export function createSaslExchange(mechanism: string, users: Map<string, string> | null, scram: ScramCredentialStore, oauth: OAuthValidator | undefined): SaslExchange {
  if (isScramMechanism(mechanism)) return new ScramServer(mechanism, (user) => scram.get(user, mechanism));
  if (mechanism === 'OAUTHBEARER') return new OAuthBearerExchange(oauth!);
  if (users) {
    // Hashes of equal length compared in constant time; an unknown user is compared too, against nothing it can match.
    return new PlainExchange(async (user, password) => {
      const expected = users.get(user);
      const equal = timingSafeEqual(sha256(password), sha256(expected ?? randomBytes(16).toString('hex')));
      return expected !== undefined && equal;
    });
  }
  return new PlainExchange(async (user, password) => {
    const strong = scram.get(user, 'SCRAM-SHA-512');
    const credential = strong ?? scram.get(user, 'SCRAM-SHA-256');
    const matched = await passwordMatches(credential ? (strong ? 'SCRAM-SHA-512' : 'SCRAM-SHA-256') : 'SCRAM-SHA-512', credential ?? NOBODY, password);
    return credential !== undefined && matched;
  });
}
