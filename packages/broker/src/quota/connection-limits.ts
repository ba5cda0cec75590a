import { ConfigError, type BrokerConfig, wholeNumber } from '../config/broker-config.ts';
import { listenerSetting } from '../security/listener-settings.ts';
import { RateLimiter } from './rate-limiter.ts';

/** Kafka's "no limit" for its connection settings. */
const UNLIMITED = 2147483647;

/** `host:count,...` as Kafka's max.connections.per.ip.overrides writes it (an IPv6 address keeps its colons: the count is after the last). */
function parseOverrides(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const colon = entry.lastIndexOf(':');
    if (colon <= 0) throw new ConfigError(`max.connections.per.ip.overrides: expected host:count, got "${entry}"`);
    out.set(normalizeIp(entry.slice(0, colon)), wholeNumber('max.connections.per.ip.overrides', entry.slice(colon + 1), 0));
  }
  return out;
}

/** Node names IPv4 peers on a dual-stack socket as ::ffff:a.b.c.d; limits and quotas name them a.b.c.d. */
export function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * Kafka's connection limits, checked as a connection is accepted (before any TLS handshake):
 * max.connections for the broker and per listener, max.connections.per.ip with its overrides,
 * and each IP's connection_creation_rate quota (KIP-612). A connection over a limit is closed at
 * once, and the client's reconnect backoff slows it down.
 */
export class ConnectionLimits {
  private readonly maxTotal: number;
  private readonly maxPerListener: Map<string, number>;
  private readonly maxPerIp: number;
  private readonly perIpOverrides: Map<string, number>;
  private readonly ipRate: (ip: string) => number | null;
  private readonly burstMs: number;
  private total = 0;
  private readonly byListener = new Map<string, number>();
  private readonly byIp = new Map<string, number>();
  private readonly creationRates = new Map<string, RateLimiter>();

  constructor(config: BrokerConfig, listeners: string[], ipRate: (ip: string) => number | null, burstMs: number) {
    this.maxTotal = wholeNumber('max.connections', config.values['max.connections'], 0);
    this.maxPerListener = new Map(listeners.map((l) => [l, wholeNumber(`listener.name.${l.toLowerCase()}.max.connections`, listenerSetting(config, l, 'max.connections'), 0)]));
    this.maxPerIp = wholeNumber('max.connections.per.ip', config.values['max.connections.per.ip'], 0);
    this.perIpOverrides = parseOverrides(config.values['max.connections.per.ip.overrides']);
    this.ipRate = ipRate;
    this.burstMs = burstMs;
  }

  /** Admits a new connection (to be released when it closes), or says why it is refused. */
  admit(address: string, listener: string, now: number): string | null {
    const ip = normalizeIp(address);
    const ipLimit = this.perIpOverrides.get(ip) ?? this.maxPerIp;
    if ((this.byIp.get(ip) ?? 0) >= ipLimit) return `${ip} already has ${ipLimit} connections (max.connections.per.ip)`;
    const listenerLimit = Math.min(this.maxPerListener.get(listener) ?? UNLIMITED, UNLIMITED);
    if ((this.byListener.get(listener) ?? 0) >= listenerLimit) return `listener ${listener} already has ${listenerLimit} connections (max.connections)`;
    if (this.total >= this.maxTotal) return `the broker already has ${this.maxTotal} connections (max.connections)`;
    const rate = this.ipRate(ip);
    if (rate !== null) {
      let limiter = this.creationRates.get(ip);
      if (!limiter || limiter.perSecond !== rate) {
        if (this.creationRates.size >= 10_000) for (const [k, l] of this.creationRates) if (l.idle(now)) this.creationRates.delete(k);
        this.creationRates.set(ip, limiter = new RateLimiter(rate, this.burstMs));
      }
      // A refused attempt counts too: a client retrying in a tight loop stays refused.
      if (limiter.record(1, now) > 0) return `${ip} opens connections faster than its connection_creation_rate of ${rate} per second`;
    }
    this.total++;
    this.byListener.set(listener, (this.byListener.get(listener) ?? 0) + 1);
    this.byIp.set(ip, (this.byIp.get(ip) ?? 0) + 1);
    return null;
  }

  release(address: string, listener: string): void {
    const ip = normalizeIp(address);
    this.total--;
    this.byListener.set(listener, this.byListener.get(listener)! - 1);
    const left = this.byIp.get(ip)! - 1;
    if (left === 0) this.byIp.delete(ip);
    else this.byIp.set(ip, left);
  }
}
