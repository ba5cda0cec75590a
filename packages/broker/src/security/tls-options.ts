import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type TlsOptions } from 'node:tls';
import { parseMappingRules } from '@millrace/security';
import { ConfigError, type BrokerConfig } from '../config/broker-config.ts';
import { listenerSetting } from './listener-settings.ts';

const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;

const JKS_MAGIC = 0xfeedfeed;

function readConfigFile(where: string, key: string, path: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${where}: ${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // Kafka's default store type: a common copy-paste that no TLS library here can read.
  if (data.length >= 4 && data.readUInt32BE(0) === JKS_MAGIC) {
    throw new ConfigError(`${where}: ${key}: ${path} is a Java keystore (JKS); convert it to PKCS12 (keytool -importkeystore -deststoretype PKCS12), and from there to PEM if you like (openssl pkcs12 -nodes)`);
  }
  return data;
}

/** Loads keys, certificates or CAs as the TLS server will, so that what it cannot use stops the start with the settings named. */
function checkLoads(where: string, settings: string, options: SecureContextOptions): void {
  try {
    createSecureContext(options);
  } catch (err) {
    throw new ConfigError(`${where}: the TLS keystore or truststore cannot be used: ${settings}: ${(err as Error).message}`);
  }
}

export type ListenerTls = TlsOptions & { clientAuth: 'none' | 'requested' | 'required'; mappingRules: ReturnType<typeof parseMappingRules> };

/**
 * The TLS server options of one SSL or SASL_SSL listener, from Kafka's ssl.* settings: a PEM or
 * PKCS12 keystore, a PEM truststore (the CAs client certificates must chain to), ssl.client.auth.
 */
export function tlsOptions(config: BrokerConfig, listener: string): ListenerTls {
  const get = (key: string) => listenerSetting(config, listener, key);
  const where = `listener ${listener}`;
  let mappingRules: ListenerTls['mappingRules'];
  try {
    mappingRules = parseMappingRules(get('ssl.principal.mapping.rules') || 'DEFAULT');
  } catch (err) {
    throw new ConfigError(`${where}: ${(err as Error).message}`);
  }
  const options: ListenerTls = { clientAuth: 'none', mappingRules };
  const keystoreType = (get('ssl.keystore.type') || 'PEM').toUpperCase();
  if (keystoreType === 'PEM') {
    const inlineChain = get('ssl.keystore.certificate.chain');
    const inlineKey = get('ssl.keystore.key');
    const location = get('ssl.keystore.location');
    if (inlineChain || inlineKey) {
      if (!inlineChain || !inlineKey) throw new ConfigError(`${where}: ssl.keystore.certificate.chain and ssl.keystore.key go together`);
      options.cert = inlineChain;
      options.key = inlineKey;
    } else if (location) {
      // One PEM file holding the private key and the certificate chain, as Kafka's PEM keystore file does.
      const pem = readConfigFile(where, 'ssl.keystore.location', location);
      options.cert = pem;
      options.key = pem;
    } else {
      throw new ConfigError(`${where} uses TLS but has no certificate: set ssl.keystore.location (a PEM file with the key and certificate chain), or ssl.keystore.certificate.chain and ssl.keystore.key`);
    }
    if (get('ssl.key.password')) options.passphrase = get('ssl.key.password');
    if (get('ssl.keystore.password')) throw new ConfigError(`${where}: ssl.keystore.password means nothing for a PEM keystore (an encrypted key's passphrase is ssl.key.password)`);
    checkLoads(where, `${inlineChain ? 'ssl.keystore.certificate.chain and ssl.keystore.key' : `ssl.keystore.location ${location}`}${options.passphrase ? ' with ssl.key.password' : ''}`, options);
  } else if (keystoreType === 'PKCS12') {
    if (get('ssl.key.password')) throw new ConfigError(`${where}: ssl.key.password means nothing for a PKCS12 keystore (its password is ssl.keystore.password)`);
    if (!get('ssl.keystore.location')) throw new ConfigError(`${where}: ssl.keystore.type=PKCS12 needs ssl.keystore.location`);
    options.pfx = readConfigFile(where, 'ssl.keystore.location', get('ssl.keystore.location'));
    options.passphrase = get('ssl.keystore.password') || undefined;
    checkLoads(where, `ssl.keystore.location ${get('ssl.keystore.location')}${options.passphrase ? ' with ssl.keystore.password' : ''}`, options);
  } else {
    throw new ConfigError(`${where}: ssl.keystore.type ${keystoreType} is not supported: use PEM or PKCS12 (keytool -importkeystore -deststoretype PKCS12 converts a JKS keystore)`);
  }
  const truststoreType = (get('ssl.truststore.type') || 'PEM').toUpperCase();
  if (truststoreType !== 'PEM') throw new ConfigError(`${where}: ssl.truststore.type ${truststoreType} is not supported: use PEM (a file of CA certificates)`);
  if (get('ssl.truststore.password')) throw new ConfigError(`${where}: ssl.truststore.password means nothing for a PEM truststore`);
  const truststore = get('ssl.truststore.certificates') ? 'ssl.truststore.certificates' : get('ssl.truststore.location') ? `ssl.truststore.location ${get('ssl.truststore.location')}` : null;
  if (get('ssl.truststore.certificates')) options.ca = get('ssl.truststore.certificates');
  else if (get('ssl.truststore.location')) options.ca = readConfigFile(where, 'ssl.truststore.location', get('ssl.truststore.location'));
  if (truststore) {
    // TLS takes a file without certificates as an empty truststore, and skips a certificate it cannot read, so each is read here.
    const certificates = String(options.ca).match(/-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g) ?? [];
    if (certificates.length === 0) throw new ConfigError(`${where}: ${truststore} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    for (const [i, pem] of certificates.entries()) {
      try {
        new X509Certificate(pem);
      } catch (err) {
        throw new ConfigError(`${where}: ${truststore}: certificate ${i + 1} cannot be read: ${(err as Error).message}`);
      }
    }
  }
  const clientAuth = (get('ssl.client.auth') || 'none').toLowerCase();
  if (!['none', 'requested', 'required'].includes(clientAuth)) throw new ConfigError(`${where}: ssl.client.auth must be none, requested or required, not "${clientAuth}"`);
  options.clientAuth = clientAuth as 'requested' | 'required';
  if (clientAuth !== 'none') {
    if (!options.ca) throw new ConfigError(`${where}: ssl.client.auth=${clientAuth} needs a truststore (ssl.truststore.location) to check client certificates against`);
    // The broker checks the certificate itself once the handshake is done (see Broker.acceptTls), so
    // its log can say why a client was refused: Node's own refusal only reports a hung-up socket.
    options.requestCert = true;
    options.rejectUnauthorized = false;
  }
  const versions = (get('ssl.enabled.protocols') || 'TLSv1.2,TLSv1.3').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = versions.find((v) => !(TLS_VERSIONS as readonly string[]).includes(v));
  if (unknown || versions.length === 0) throw new ConfigError(`${where}: ssl.enabled.protocols may hold only ${TLS_VERSIONS.join(' and ')}, not "${unknown ?? ''}"`);
  options.minVersion = versions.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3';
  options.maxVersion = versions.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2';
  return options;
}
