import { hostname, networkInterfaces } from 'node:os';
import { ConfigError, type BrokerConfig } from '../config/broker-config.ts';

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];

/** One socket the broker listens on, with the security its connections get. */
export interface ListenerSpec {
  /** Upper case, as Kafka compares listener names. */
  name: string;
  host: string;
  port: number;
  securityProtocol: SecurityProtocol;
}

export const usesTls = (p: SecurityProtocol) => p === 'SSL' || p === 'SASL_SSL';
export const usesSasl = (p: SecurityProtocol) => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';

interface Endpoint {
  name: string;
  host: string;
  port: number;
}

/** "NAME://host:port" entries ("[::1]" for IPv6, an empty host for every interface). */
function parseEndpoints(key: string, text: string): Endpoint[] {
  const endpoints = text.split(',').map((s) => s.trim()).filter((s) => s !== '').map((entry) => {
    const match = /^([A-Za-z0-9_]+):\/\/(\[[^\]]+\]|[^:/]*):(\d+)$/.exec(entry);
    if (!match || Number(match[3]) > 65535) throw new ConfigError(`${key}: "${entry}" is not of the form NAME://host:port`);
    return { name: match[1].toUpperCase(), host: match[2].replace(/^\[|\]$/g, ''), port: Number(match[3]) };
  });
  const names = endpoints.map((e) => e.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new ConfigError(`${key} names listener ${twice} twice`);
  return endpoints;
}

/** listener.security.protocol.map; Kafka's default maps each security protocol's name to itself. */
export function protocolMap(config: BrokerConfig): Map<string, SecurityProtocol> {
  const text = config.values['listener.security.protocol.map'];
  const map = new Map<string, SecurityProtocol>(SECURITY_PROTOCOLS.map((p) => [p, p]));
  if (!text) return map;
  map.clear();
  for (const pair of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [name, protocol, extra] = pair.split(':');
    if (!name || extra !== undefined || !SECURITY_PROTOCOLS.includes(protocol as SecurityProtocol)) {
      throw new ConfigError(`listener.security.protocol.map: "${pair}" is not NAME:PROTOCOL with PROTOCOL one of ${SECURITY_PROTOCOLS.join(', ')}`);
    }
    map.set(name.toUpperCase(), protocol as SecurityProtocol);
  }
  return map;
}

/**
 * The listeners of `listeners` that controller.listener.names names. A KRaft server.properties lists
 * its controller listener there; Millrace has no separate controller, and opening it would serve
 * every API, unauthenticated as a rule, on a port meant for controllers alone.
 */
export function controllerListeners(config: BrokerConfig): string[] {
  const text = config.values['listeners'];
  const controllers = new Set(config.values['controller.listener.names'].split(',').map((n) => n.trim().toUpperCase()).filter((n) => n !== ''));
  return text ? parseEndpoints('listeners', text).map((e) => e.name).filter((n) => controllers.has(n)) : [];
}

/**
 * The listeners to open: `listeners` when set (less the controller listeners), else one PLAINTEXT
 * listener at the host and port given on the command line. Each name must have a security protocol.
 */
export function listenerSpecs(config: BrokerConfig, fallback: { host: string; port: number }): ListenerSpec[] {
  const text = config.values['listeners'];
  const listed = text ? parseEndpoints('listeners', text) : [{ name: 'PLAINTEXT', host: fallback.host, port: fallback.port }];
  // A per-listener setting for a listener that is not listed would silently do nothing: a typo.
  for (const key of Object.keys(config.values)) {
    const named = /^listener\.name\.([^.]+)\./.exec(key)?.[1];
    if (named && !listed.some((e) => e.name.toLowerCase() === named)) throw new ConfigError(`${key}: there is no listener ${named.toUpperCase()} (listeners: ${listed.map((e) => e.name).join(', ')})`);
  }
  if (!text) return [{ ...listed[0], securityProtocol: 'PLAINTEXT' }];
  const protocols = protocolMap(config);
  const controllers = controllerListeners(config);
  const endpoints = listed.filter((e) => !controllers.includes(e.name));
  if (endpoints.length === 0) throw new ConfigError(controllers.length > 0 ? 'listeners names only controller listeners (controller.listener.names), and Millrace opens none of those' : 'listeners is set but names no listener');
  const ports = endpoints.map((e) => e.port).filter((p) => p !== 0);
  const shared = ports.find((p, i) => ports.indexOf(p) !== i);
  if (shared !== undefined) throw new ConfigError(`listeners: two listeners on port ${shared}`);
  return endpoints.map((e) => {
    const securityProtocol = protocols.get(e.name);
    if (!securityProtocol) throw new ConfigError(`listener ${e.name} has no security protocol: add ${e.name}:PROTOCOL to listener.security.protocol.map`);
    return { ...e, host: e.host || '0.0.0.0', securityProtocol };
  });
}

/** Where clients are told to connect for each listener: advertised.listeners, else where it listens. */
export function advertisedListeners(config: BrokerConfig, bound: ListenerSpec[]): Map<string, { host: string; port: number }> {
  const out = new Map<string, { host: string; port: number }>();
  for (const l of bound) out.set(l.name, { host: l.host === '0.0.0.0' || l.host === '::' ? 'localhost' : l.host, port: l.port });
  const text = config.values['advertised.listeners'];
  if (!text) return out;
  // An unnamed "host:port" (an older Millrace form) advertises the first listener.
  const entries = /^[^:/]+:\d+$|^\[[^\]]+\]:\d+$/.test(text.trim()) ? `${bound[0].name}://${text.trim()}` : text;
  for (const e of parseEndpoints('advertised.listeners', entries)) {
    if (!out.has(e.name)) throw new ConfigError(`advertised.listeners names ${e.name}, which is not one of the listeners (${bound.map((l) => l.name).join(', ')})`);
    if (e.host === '') throw new ConfigError(`advertised.listeners: ${e.name} needs a host clients can reach`);
    out.set(e.name, { host: e.host, port: e.port === 0 ? out.get(e.name)!.port : e.port });
  }
  return out;
}

/**
 * Warnings for advertised addresses that name this machine but not where its listener listens
 * (advertised.listeners=PLAINTEXT://localhost:9092 on a broker listening on 9093): clients would be
 * sent somewhere nothing answers. An address of another host (a proxy, a NAT) is not judged.
 */
export function unreachableAdvertisements(bound: ListenerSpec[], advertised: Map<string, { host: string; port: number }>): string[] {
  const local = localAddresses();
  const warnings: string[] = [];
  for (const l of bound) {
    const a = advertised.get(l.name);
    if (!a || !local.has(a.host.toLowerCase())) continue;
    const wildcard = l.host === '0.0.0.0' || l.host === '::' || l.host === '';
    const sameHost = wildcard || l.host === a.host || (LOOPBACK.has(l.host) && LOOPBACK.has(a.host.toLowerCase()));
    if (a.port !== l.port || !sameHost) {
      warnings.push(`advertised.listeners sends clients of listener ${l.name} to ${a.host}:${a.port}, an address of this machine where it does not listen (it listens on ${l.host}:${l.port}): clients will not reach it`);
    }
  }
  return warnings;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

/** The names and addresses this machine answers to. */
function localAddresses(): Set<string> {
  const out = new Set([...LOOPBACK, hostname().toLowerCase()]);
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) out.add(i.address.toLowerCase());
  return out;
}
