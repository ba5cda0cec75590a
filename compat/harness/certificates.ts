import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from './run-tool.ts';

/** PEM files of a test PKI, made with openssl: what an operator would make for a broker and its clients. */
export interface TestPki {
  dir: string;
  /** The CA certificate that signed the broker's and the client's certificates. */
  caCert: string;
  /** The broker's certificate chain and key in one PEM file (Kafka's PEM keystore file); it names localhost and 127.0.0.1. */
  brokerPem: string;
  brokerCert: string;
  brokerKey: string;
  /** A client certificate "CN=alice,OU=clients,O=Millrace Test" signed by the CA. */
  clientCert: string;
  clientKey: string;
  /** A client certificate with the same name signed by another CA, which the broker must not trust. */
  strangerCert: string;
  strangerKey: string;
  dispose(): void;
}

async function openssl(args: string[]): Promise<void> {
  await runTool('openssl', args, { timeoutMs: 60_000 });
}

/** A key and a certificate for `subject`, signed by the CA at `ca` (or self-signed when `ca` is null). */
async function issue(dir: string, name: string, subject: string, ca: { cert: string; key: string } | null, extensions: string): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-subj', subject, '-out', `${cert}.csr`]);
  const signing = ca ? ['-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial'] : ['-signkey', key];
  await openssl(['x509', '-req', '-in', `${cert}.csr`, ...signing, '-days', '2', '-sha256', '-extfile', ext, '-out', cert]);
  return { cert, key };
}

export async function makeTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-pki-'));
  const caExt = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n';
  const ca = await issue(dir, 'ca', '/CN=Millrace Test CA', null, caExt);
  const stranger = await issue(dir, 'stranger-ca', '/CN=Someone Else CA', null, caExt);
  const broker = await issue(dir, 'broker', '/CN=localhost', ca, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  const client = await issue(dir, 'client', '/O=Millrace Test/OU=clients/CN=alice', ca, 'extendedKeyUsage=clientAuth\n');
  const strangerClient = await issue(dir, 'stranger-client', '/O=Millrace Test/OU=clients/CN=alice', stranger, 'extendedKeyUsage=clientAuth\n');
  const brokerPem = join(dir, 'broker.pem');
  writeFileSync(brokerPem, readFileSync(broker.key, 'utf8') + readFileSync(broker.cert, 'utf8'));
  return {
    dir,
    caCert: ca.cert,
    brokerPem,
    brokerCert: broker.cert,
    brokerKey: broker.key,
    clientCert: client.cert,
    clientKey: client.key,
    strangerCert: strangerClient.cert,
    strangerKey: strangerClient.key,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
