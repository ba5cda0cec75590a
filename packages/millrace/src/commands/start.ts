import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Broker, buildBrokerConfig, ConfigError, dataDirectorySetting, parseAddScram, parseProperties, type ScramUserSpec } from '@millrace/broker';
import { runDevCluster } from './dev-cluster.ts';
import { onStopSignal } from '../stop-signals.ts';

const OPTIONS = {
  'data-dir': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  config: { type: 'string' },
  set: { type: 'string', multiple: true },
  'node-id': { type: 'string' },
  etcd: { type: 'string' },
  'add-scram': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

const START_USAGE = `Usage: millrace start [--data-dir DIR] [options]
  Runs a broker until Ctrl-C or SIGTERM, then shuts it down cleanly.

  --data-dir DIR       where its data is (or log.dirs in the --config file); one broker per directory
  --host HOST          the address its one PLAINTEXT listener listens on (default 127.0.0.1)
  --port PORT          that listener's port (default 9092; 0 picks a free one)
  --config FILE        a Kafka server.properties file (settings Millrace does not use are named at start)
  --set KEY=VALUE      a setting, over the file's (repeatable); see docs/configuration.md
  --node-id N          this broker's id in a cluster (node.id; broker.id also works)
  --etcd URL[,URL]     join the cluster whose metadata is in that etcd (etcd.endpoints)
  --add-scram 'SCRAM-SHA-256=[name=NAME,password=PASSWORD]'
                       create a SCRAM user if it does not exist (repeatable)

Exit codes: 0 stopped cleanly, 1 failed while running, 2 the command line or a setting is wrong.`;

const DEV_USAGE = `Usage: millrace dev [--brokers N] [start's options]
  A broker for development: data in ./.millrace/data, port 9092, no setup.
  With --brokers N (1-9): a local etcd and a replicated cluster of N brokers on ports 9092 and up,
  data in ./.millrace. Stop with Ctrl-C. The options of millrace start (millrace start --help) apply.`;

export interface StartSettings {
  dataDir: string;
  host: string;
  port: number;
  overrides: Record<string, string>;
  addScram: ScramUserSpec[];
}

function parseStart(args: string[], defaults: { dataDir?: string; host: string; port: number }): StartSettings {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  const port = values.port === undefined ? defaults.port : Number(values.port);
  if (!/^\d+$/.test(values.port ?? '0') || port > 65535) throw new ConfigError(`--port must be 0-65535, not "${values.port}"`);
  const overrides = values.config ? readConfigFile(values.config) : {};
  for (const pair of values.set ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set expects key=value, not "${pair}"`);
    overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  // server.properties names the data directory log.dirs; --data-dir says the same thing.
  const configuredDir = dataDirectorySetting(overrides);
  if (values['data-dir'] !== undefined && configuredDir !== null && resolve(values['data-dir']) !== resolve(configuredDir)) {
    throw new ConfigError(`--data-dir ${values['data-dir']} and log.dirs=${configuredDir} name different data directories: use one of them`);
  }
  const dataDir = values['data-dir'] ?? configuredDir ?? defaults.dataDir;
  if (!dataDir) throw new ConfigError('--data-dir DIR (or log.dirs in the --config file) is required');
  // Shorthands for the settings that make a broker a cluster member.
  if (values['node-id'] !== undefined) overrides['node.id'] = values['node-id'];
  if (values.etcd !== undefined) overrides['etcd.endpoints'] = values.etcd;
  if (overrides['listeners'] && (values.host !== undefined || values.port !== undefined)) {
    throw new ConfigError('--host/--port and listeners both say where to listen: use one of them');
  }
  const addScram = (values['add-scram'] ?? []).map(parseAddScram);
  return { dataDir: resolve(dataDir), host: values.host ?? defaults.host, port, overrides, addScram };
}

function readConfigFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'this user may not read it' : (err as Error).message;
    throw new ConfigError(`--config ${path}: ${why}`);
  }
  try {
    return parseProperties(text);
  } catch (err) {
    throw new ConfigError(`--config ${path}: ${(err as Error).message}`);
  }
}

/** Starts a broker and runs until SIGTERM or SIGINT, then shuts down cleanly. */
async function run(settings: StartSettings, banner: (host: string, port: number) => string): Promise<number> {
  const config = buildBrokerConfig(settings.overrides);
  const broker = await Broker.start({ dataDir: settings.dataDir, host: settings.host, port: settings.port, config, addScram: settings.addScram });
  for (const l of broker.boundListeners) console.log(`millrace: listening on ${l.host}:${l.port} (listener ${l.name}, ${l.securityProtocol})`);
  console.log(`millrace: data in ${settings.dataDir}`);
  console.log(banner(broker.state.advertised.host, broker.port));
  await new Promise<void>((done) => {
    onStopSignal((why) => {
      console.log(`millrace: ${why}, shutting down`);
      broker.stop().then(done, (err: unknown) => {
        console.error(`millrace: shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      });
    });
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

/** Prints `usage` when the command line asks for help; true if it did. */
function askedForHelp(args: string[], usage: string): boolean {
  if (!args.includes('--help') && !args.includes('-h')) return false;
  console.log(usage);
  return true;
}

export async function startCommand(args: string[]): Promise<number> {
  if (askedForHelp(args, START_USAGE)) return 0;
  return guarded(() => run(parseStart(args, { host: '127.0.0.1', port: 9092 }), (host, port) => `millrace: clients connect with bootstrap servers ${host}:${port}`));
}

export async function devCommand(args: string[]): Promise<number> {
  if (askedForHelp(args, DEV_USAGE)) return 0;
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
