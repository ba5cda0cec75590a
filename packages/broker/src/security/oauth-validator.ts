import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JsonWebKeySet, type JwtChecks, JwtError, parseJaasConfig, type ValidToken, verifyJwt, verifyUnsecuredJwt } from '@millrace/security';
import { ConfigError, type BrokerConfig, wholeNumber } from '../config/broker-config.ts';
import type { Logger } from '../logger.ts';
import { listenerSetting } from './listener-settings.ts';

/** Kafka's validator of signed tokens (KIP-768), under both the names it has had. */
const SECURED_HANDLERS = [
  'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
  'org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler',
];
/** Kafka's validator of unsigned tokens: anyone can make one for any principal, so only for development. */
const UNSECURED_HANDLER = 'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler';
/** How often an unknown key id may make the JWKS be read again. */
const UNKNOWN_KID_REFRESH_MS = 10_000;
const FETCH_TIMEOUT_MS = 10_000;

/** Checks the token an OAUTHBEARER login carries; rejects with JwtError saying why not. */
export interface OAuthValidator {
  validate(token: string): Promise<ValidToken>;
  close(): void;
}

/** Reads a JWKS from a file: URL, or fetches it from an http(s) one. */
async function loadJwks(url: string): Promise<JsonWebKeySet> {
  let text: string;
  if (url.startsWith('file:')) {
    text = readFileSync(fileURLToPath(url), 'utf8');
  } else {
    const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status} from ${url}`);
    text = await response.text();
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new JwtError(`${url} does not hold JSON`);
  }
  return new JsonWebKeySet(json);
}

/** The JWKS a listener checks signatures against: read at start-up, again every refresh interval, and at once (at most every 10 s) for a key id it lacks. */
class JwksValidator implements OAuthValidator {
  private keys: JsonWebKeySet;
  /** When a token's unknown key id last made the JWKS be read (the first may at once). */
  private lastUnknownKidLoad = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly url: string;
  private readonly checks: Omit<JwtChecks, 'now'>;
  private readonly log: Logger;

  constructor(url: string, keys: JsonWebKeySet, refreshMs: number, checks: Omit<JwtChecks, 'now'>, log: Logger) {
    this.url = url;
    this.checks = checks;
    this.log = log;
    this.keys = keys;
    this.timer = setInterval(() => void this.reload(), refreshMs);
    this.timer.unref();
  }

  async validate(token: string): Promise<ValidToken> {
    try {
      return verifyJwt(token, this.keys, { ...this.checks, now: Date.now() });
    } catch (err) {
      if (!(err instanceof JwtError) || !err.message.startsWith('no key in the JWKS') || Date.now() - this.lastUnknownKidLoad < UNKNOWN_KID_REFRESH_MS) throw err;
      // The identity provider may have rotated its keys since the last read.
      this.lastUnknownKidLoad = Date.now();
      await this.reload();
      return verifyJwt(token, this.keys, { ...this.checks, now: Date.now() });
    }
  }

  private async reload(): Promise<void> {
    try {
      this.keys = await loadJwks(this.url);
    } catch (err) {
      this.log.warn(`reading the JWKS at ${this.url} failed (the keys read before stay in use): ${(err as Error).message}`);
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/**
 * The validator of a listener that offers OAUTHBEARER, from Kafka's settings, checked at start-up.
 * Unlike Kafka, which accepts unsigned tokens unless told otherwise, Millrace needs either a JWKS
 * or the unsecured handler named explicitly.
 */
export async function oauthValidator(config: BrokerConfig, listener: string, log: Logger): Promise<OAuthValidator> {
  const setting = (key: string) => listenerSetting(config, listener, key).trim();
  const handlerKey = `listener.name.${listener.toLowerCase()}.oauthbearer.sasl.server.callback.handler.class`;
  const handler = setting('oauthbearer.sasl.server.callback.handler.class');
  const url = setting('sasl.oauthbearer.jwks.endpoint.url');
  // Read once: only the time changes from one login to the next.
  const checks: Omit<JwtChecks, 'now'> = {
    clockSkewSeconds: wholeNumber('sasl.oauthbearer.clock.skew.seconds', setting('sasl.oauthbearer.clock.skew.seconds'), 0),
    audiences: setting('sasl.oauthbearer.expected.audience').split(',').map((a) => a.trim()).filter((a) => a !== ''),
    issuer: setting('sasl.oauthbearer.expected.issuer') || null,
    subClaim: setting('sasl.oauthbearer.sub.claim.name') || 'sub',
  };
  if (handler === UNSECURED_HANDLER) {
    log.warn(`listener ${listener} accepts unsigned OAUTHBEARER tokens (${UNSECURED_HANDLER}): anyone can log in as anyone; for development only`);
    const jaas = setting('oauthbearer.sasl.jaas.config') || setting('sasl.jaas.config');
    const subClaim = jaas ? parseJaasConfig(jaas).options.get('unsecuredValidatorPrincipalClaimName') : undefined;
    // Kafka's unsecured validator reads its own JAAS options, not the sasl.oauthbearer.expected.* settings.
    return { validate: async (token) => verifyUnsecuredJwt(token, { ...checks, now: Date.now(), audiences: [], issuer: null, subClaim: subClaim ?? 'sub' }), close: () => {} };
  }
  if (handler !== '' && !SECURED_HANDLERS.includes(handler)) throw new ConfigError(`${handlerKey} ${handler} is not one Millrace has: use ${SECURED_HANDLERS[0]} (or, for development, ${UNSECURED_HANDLER})`);
  if (!url) {
    throw new ConfigError(`listener ${listener} offers OAUTHBEARER: set sasl.oauthbearer.jwks.endpoint.url (the identity provider's keys, a file: or https: URL), or for development only set ${handlerKey}=${UNSECURED_HANDLER}`);
  }
  if (!/^(file|https?):/.test(url)) throw new ConfigError(`sasl.oauthbearer.jwks.endpoint.url must be a file:, http: or https: URL, not "${url}"`);
  const refreshMs = wholeNumber('sasl.oauthbearer.jwks.endpoint.refresh.ms', setting('sasl.oauthbearer.jwks.endpoint.refresh.ms'), 0);
  let keys: JsonWebKeySet;
  try {
    keys = await loadJwks(url);
  } catch (err) {
    throw new ConfigError(`listener ${listener}: the JWKS at ${url} cannot be read: ${(err as Error).message}`);
  }
  if (keys.size === 0) throw new ConfigError(`listener ${listener}: the JWKS at ${url} holds no RSA or EC signing key`);
  return new JwksValidator(url, keys, Math.max(1000, refreshMs), checks, log);
}
