// Captures the request frames real clients send, for the codec's golden tests.
// Usage: node --conditions=development tools/capture/main.ts
// Runs kcat, kafka-python and KafkaJS against a broker through a recording proxy and writes the
// first frame of every (client, API, version) to packages/protocol/test-fixtures/clients/.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { API_TABLE } from '@millrace/protocol';
import { freePort, startBroker } from '../../compat/harness/broker-process.ts';
import { runTool } from '../../compat/harness/run-tool.ts';
import { RecordingProxy } from './recording-proxy.ts';

const root = resolve(import.meta.dirname, '../..');
const outDir = join(root, 'packages/protocol/test-fixtures/clients');

const proxyPort = await freePort();
const broker = await startBroker({ args: ['--set', `advertised.listeners=PLAINTEXT://127.0.0.1:${proxyPort}`, '--set', 'num.partitions=2'] });
const proxy = await RecordingProxy.start(proxyPort, broker.port);
const bootstrap = `127.0.0.1:${proxyPort}`;
const python = '/usr/bin/python3';

try {
  proxy.label = 'kcat';
  await runTool('kcat', ['-b', bootstrap, '-L'], { timeoutMs: 30_000 });
  for (const codec of ['none', 'gzip']) {
    await runTool('kcat', ['-b', bootstrap, '-P', '-t', 'captured', '-K:', '-H', 'h=v', '-z', codec], { input: 'k1:v1\nk2:v2\n', timeoutMs: 30_000 });
  }
  await runTool('kcat', ['-b', bootstrap, '-C', '-t', 'captured', '-o', 'beginning', '-e', '-q'], { timeoutMs: 30_000 });
  await runTool('kcat', ['-b', bootstrap, '-Q', '-t', 'captured:0:1'], { timeoutMs: 30_000 });

  proxy.label = 'kafka-python';
  await runTool(python, [join(root, 'compat/python/kafka_python_roundtrip.py'), bootstrap, 'captured-py', '3'], { timeoutMs: 60_000 });

  proxy.label = 'kafkajs';
  await runTool(process.execPath, ['--conditions=development', join(import.meta.dirname, 'kafkajs-session.ts'), bootstrap], { timeoutMs: 60_000 });
} finally {
  await proxy.close();
  await broker.dispose();
}

rmSync(outDir, { recursive: true, force: true });
for (const [client, frames] of proxy.frames) {
  mkdirSync(join(outDir, client), { recursive: true });
  for (const frame of frames) {
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    writeFileSync(join(outDir, client, `${API_TABLE[apiKey]?.name ?? `api${apiKey}`}-v${version}.bin`), frame);
  }
  console.log(`capture: ${client}: ${frames.length} distinct request versions`);
}
