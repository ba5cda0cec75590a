import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Broker, buildBrokerConfig, ConfigError, parseAddScram, parseProperties, type ScramUserSpec } from '@millrace/broker';
import { runDevCluster } from './dev-cluster.ts';

const OPTIONS = {
  'data-dir': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  config: { type: 'string' },
  set: { type: 'string', multiple: true },
  'node-id': { type: 'string' },
  etcd: { type: 'string' },
  'add-scram': { type: 'string', multiple: true },
} as const;

export interface StartSettings {
  dataDir: string;
  host: string;
  port: number;
  overrides: Record<string, string>;
  addScram: ScramUserSpec[];
}

function parseStart(args: string[], defaults: { dataDir?: string; host: string; port: number }): StartSettings {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  const dataDir = values['data-dir'] ?? defaults.dataDir;
  if (!dataDir) throw new ConfigError('--data-dir DIR is required');
  const port = values.port === undefined ? defaults.port : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be 0-65535, not "${values.port}"`);
  const overrides = values.config ? parseProperties(readFileSync(values.config, 'utf8')) : {};
  for (const pair of values.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set expects key=value, not "${pair}"`);
    overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  // Shorthands for the settings that make a broker a cluster member.
  if (values['node-id'] !== undefined) overrides['node.id'] = values['node-id'];
  if (values.etcd !== undefined) overrides['etcd.endpoints'] = values.etcd;
  if (overrides['listeners'] && (values.host !== undefined || values.port !== undefined)) {
    throw new ConfigError('--host/--port and listeners both say where to listen: use one of them');
  }
  const addScram = (values['add-scram'] ?? []).map(parseAddScram);
  return { dataDir: resolve(dataDir), host: values.host ?? defaults.host, port, overrides, addScram };
}

/** Starts a broker and runs until SIGTERM or SIGINT, then shuts down cleanly. */
async function run(settings: StartSettings, banner: (host: string, port: number) => string): Promise<number> {
  const config = buildBrokerConfig(settings.overrides);
  const broker = await Broker.start({ dataDir: settings.dataDir, host: settings.host, port: settings.port, config, addScram: settings.addScram });
  for (const l of broker.boundListeners) console.log(`millrace: listening on ${l.host}:${l.port} (listener ${l.name}, ${l.securityProtocol})`);
  console.log(`millrace: data in ${settings.dataDir}`);
  console.log(banner(broker.state.advertised.host, broker.port));
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      console.log(`millrace: ${signal} received, shutting down`);
      broker.stop().then(done, (err: unknown) => {
        console.error(`millrace: shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  console.log('millrace: stopped');
  return 0;
}

async function guarded(fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error(`millrace: ${(err as Error).message}`);
      return 2;
    }
    if ((err as { code?: string }).code === 'EADDRINUSE') {
      console.error(`millrace: ${(err as Error).message}: another process is using that port (choose one with --port)`);
      return 1;
    }
    throw err;
  }
}

export function startCommand(args: string[]): Promise<number> {
  return guarded(() => run(parseStart(args, { host: '127.0.0.1', port: 9092 }), (host, port) => `millrace: clients connect with bootstrap servers ${host}:${port}`));
}

export function devCommand(args: string[]): Promise<number> {
  const at = args.indexOf('--brokers');
  if (at >= 0) {
    const count = Number(args[at + 1]);
    const rest = [...args.slice(0, at), ...args.slice(at + 2)];
    return guarded(() => {
      if (!Number.isInteger(count) || count < 1 || count > 9) throw new ConfigError(`--brokers must be 1-9, not "${args[at + 1]}"`);
      const settings = parseStart(rest, { dataDir: '.millrace', host: '127.0.0.1', port: 9092 });
      return runDevCluster(count, settings);
    });
  }
  const settings = () => parseStart(args, { dataDir: '.millrace/data', host: '127.0.0.1', port: 9092 });
  return guarded(() =>
    run(settings(), (host, port) =>
      [
        `millrace: development broker ready. Try:`,
        `  kcat -b ${host}:${port} -L`,
        `  echo hello | kcat -b ${host}:${port} -t demo -P && kcat -b ${host}:${port} -t demo -C -e`,
        `  new Kafka({ brokers: ['${host}:${port}'] })   // KafkaJS`,
        `Stop with Ctrl-C.`,
      ].join('\n'),
    ),
  );
}
