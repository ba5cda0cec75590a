import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { parseJaasConfig } from '@millrace/security';
import { ClientError } from './errors.ts';
import { SASL_MECHANISMS, type SaslSettings } from './sasl.ts';

/** The client security properties read, under Java's names and librdkafka's where they differ. */
const KNOWN = new Set([
  'bootstrap.servers', 'security.protocol', 'sasl.mechanism', 'sasl.mechanisms', 'sasl.jaas.config', 'sasl.username', 'sasl.password',
  'ssl.truststore.type', 'ssl.truststore.location', 'ssl.truststore.certificates', 'ssl.ca.location',
  'ssl.keystore.type', 'ssl.keystore.location', 'ssl.keystore.certificate.chain', 'ssl.keystore.key', 'ssl.key.password',
  'ssl.certificate.location', 'ssl.key.location', 'ssl.endpoint.identification.algorithm',
]);

const invalid = (message: string) => new ClientError('MILLRACE_INVALID_ARGUMENT', message);

function readPem(key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw invalid(`${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * A client's TLS and SASL settings from Kafka client properties (a `--command-config` file, or what
 * a Java or librdkafka client is configured with): security.protocol, sasl.mechanism with
 * sasl.jaas.config (or sasl.username and sasl.password), and PEM truststores and keystores.
 */
export function securityFromProperties(props: Record<string, string>): { tls?: TlsConnectionOptions; sasl?: SaslSettings } {
  const unknown = Object.keys(props).find((k) => !KNOWN.has(k));
  if (unknown) throw invalid(`client property "${unknown}" is not one Millrace's clients read (security.protocol, sasl.*, ssl.*)`);
  const protocol = (props['security.protocol'] ?? 'PLAINTEXT').toUpperCase();
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) throw invalid(`security.protocol must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, not "${protocol}"`);
  const out: { tls?: TlsConnectionOptions; sasl?: SaslSettings } = {};
  if (protocol.startsWith('SASL_')) out.sasl = saslFromProperties(props);
  if (protocol === 'SSL' || protocol === 'SASL_SSL') out.tls = tlsFromProperties(props);
  return out;
}

function saslFromProperties(props: Record<string, string>): SaslSettings {
  const mechanism = (props['sasl.mechanism'] ?? props['sasl.mechanisms'] ?? 'PLAIN').toUpperCase() as (typeof SASL_MECHANISMS)[number];
  // OAUTHBEARER's token comes from code (the sasl option's token function), not from a properties file.
  if (!SASL_MECHANISMS.includes(mechanism)) throw invalid(`sasl.mechanism must be one of ${SASL_MECHANISMS.join(', ')}, not "${mechanism}"${mechanism === ('OAUTHBEARER' as string) ? ' (for OAUTHBEARER, pass sasl: { mechanism: \'OAUTHBEARER\', token } to the client)' : ''}`);
  let username = props['sasl.username'];
  let password = props['sasl.password'];
  if (props['sasl.jaas.config']) {
    let options: Map<string, string>;
    try {
      options = parseJaasConfig(props['sasl.jaas.config']).options;
    } catch (err) {
      throw invalid((err as Error).message);
    }
    username = options.get('username') ?? username;
    password = options.get('password') ?? password;
  }
  if (!username || !password) throw invalid(`SASL needs a user: sasl.jaas.config with username="..." password="...", or sasl.username and sasl.password`);
  return { mechanism, username, password };
}

function tlsFromProperties(props: Record<string, string>): TlsConnectionOptions {
  const tls: TlsConnectionOptions = {};
  for (const typeKey of ['ssl.truststore.type', 'ssl.keystore.type']) {
    if (props[typeKey] && props[typeKey].toUpperCase() !== 'PEM') throw invalid(`${typeKey} must be PEM (Millrace's clients read PEM files), not "${props[typeKey]}"`);
  }
  const caPath = props['ssl.truststore.location'] ?? props['ssl.ca.location'];
  if (props['ssl.truststore.certificates']) tls.ca = props['ssl.truststore.certificates'];
  else if (caPath) tls.ca = readPem('ssl.truststore.location', caPath);
  if (props['ssl.keystore.certificate.chain'] || props['ssl.keystore.key']) {
    tls.cert = props['ssl.keystore.certificate.chain'];
    tls.key = props['ssl.keystore.key'];
  } else if (props['ssl.keystore.location']) {
    tls.cert = tls.key = readPem('ssl.keystore.location', props['ssl.keystore.location']);
  } else if (props['ssl.certificate.location']) {
    tls.cert = readPem('ssl.certificate.location', props['ssl.certificate.location']);
    tls.key = readPem('ssl.key.location', props['ssl.key.location'] ?? '');
  }
  if (props['ssl.key.password']) tls.passphrase = props['ssl.key.password'];
  // Kafka's default ("https") checks that the broker's certificate names the host; empty turns that off.
  if (props['ssl.endpoint.identification.algorithm'] === '') tls.checkServerIdentity = () => undefined;
  return tls;
}
