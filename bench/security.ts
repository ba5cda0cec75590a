// The security benchmark: produce throughput with librdkafka (acks=all, 1 KiB records) over
// SASL_SSL (TLS, SCRAM-SHA-512) against PLAINTEXT, on one broker with both listeners, in the same
// run; and PLAINTEXT again as a client with a byte-rate quota it never reaches, which prices the
// quota bookkeeping. After a warm-up, the three alternate twice (PLAINTEXT first), and each is the
// mean of its two.
import { join, resolve } from 'node:path';
import { freePort, startBroker } from '../compat/harness/broker-process.ts';
import { makeTestPki } from '../compat/harness/certificates.ts';
import { runTool } from '../compat/harness/run-tool.ts';

export interface SecurityBenchResult {
  records: number;
  recordBytes: number;
  /** Records per second of each run, in the order measured. */
  plaintext: number[];
  saslSsl: number[];
  /** PLAINTEXT as a client whose producer_byte_rate quota is far above what it sends. */
  quota: number[];
}

const RECORD_BYTES = 1024;

async function produceRate(bootstrap: string, topic: string, records: number, settings: Record<string, string>): Promise<number> {
  const { stdout } = await runTool('/usr/bin/python3', [join(import.meta.dirname, 'librdkafka-produce.py'), bootstrap, topic, String(records), String(RECORD_BYTES), JSON.stringify(settings)], { timeoutMs: 600_000 });
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { records: number; seconds: number; errors: number };
  if (result.errors > 0) throw new Error(`${result.errors} records of ${topic} failed`);
  return result.records / result.seconds;
}

export async function benchSecurity(records = Number(process.env.BENCH_SECURITY_RECORDS ?? 300_000)): Promise<SecurityBenchResult> {
  const pki = await makeTestPki();
  const [plainPort, securePort] = [await freePort(), await freePort()];
  const broker = await startBroker({
    listeners: `PLAINTEXT://127.0.0.1:${plainPort},SASL_SSL://127.0.0.1:${securePort}`,
    port: plainPort,
    args: ['--set', `ssl.keystore.location=${pki.brokerPem}`, '--add-scram', 'SCRAM-SHA-512=[name=bench,password=bench-secret]'],
  });
  try {
    const secure = { 'security.protocol': 'SASL_SSL', 'ssl.ca.location': pki.caCert, 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': 'bench', 'sasl.password': 'bench-secret' };
    // Not measured: the broker's first segments and its JIT.
    await produceRate(`127.0.0.1:${plainPort}`, 'warm-up', Math.ceil(records / 4), {});
    const main = join(resolve(import.meta.dirname, '..'), 'packages/millrace/src/main.ts');
    await runTool(process.execPath, ['--conditions=development', main, 'quota', 'set', '--client-id', 'bench-quota', 'producer_byte_rate=100000000000', '--brokers', `127.0.0.1:${plainPort}`], { timeoutMs: 60_000 });
    const result: SecurityBenchResult = { records, recordBytes: RECORD_BYTES, plaintext: [], saslSsl: [], quota: [] };
    for (let round = 0; round < 2; round++) {
      result.plaintext.push(await produceRate(`127.0.0.1:${plainPort}`, `plaintext-${round}`, records, {}));
      result.quota.push(await produceRate(`127.0.0.1:${plainPort}`, `quota-${round}`, records, { 'client.id': 'bench-quota' }));
      result.saslSsl.push(await produceRate(`127.0.0.1:${securePort}`, `sasl-ssl-${round}`, records, secure));
    }
    return result;
  } finally {
    await broker.dispose();
    pki.dispose();
  }
}

export function securityReport(r: SecurityBenchResult): string[] {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rate = (n: number) => `${Math.round(n).toLocaleString('en-US')} records/s (${(n * r.recordBytes / 1048576).toFixed(1)} MiB/s)`;
  return [
    `Security: librdkafka produce, acks=all, ${r.records.toLocaleString('en-US')} records of ${r.recordBytes} bytes, two runs each`,
    `  PLAINTEXT   ${rate(mean(r.plaintext))} (${r.plaintext.map((n) => Math.round(n).toLocaleString('en-US')).join(', ')})`,
    `  SASL_SSL    ${rate(mean(r.saslSsl))} (${r.saslSsl.map((n) => Math.round(n).toLocaleString('en-US')).join(', ')}; TLS, SCRAM-SHA-512)`,
    `  quota       ${rate(mean(r.quota))} (${r.quota.map((n) => Math.round(n).toLocaleString('en-US')).join(', ')}; PLAINTEXT under a producer_byte_rate it never reaches)`,
    `  ratio SASL_SSL / PLAINTEXT: ${(mean(r.saslSsl) / mean(r.plaintext)).toFixed(2)}; with a quota / without: ${(mean(r.quota) / mean(r.plaintext)).toFixed(2)}`,
  ];
}
