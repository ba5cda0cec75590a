import { parseArgs } from 'node:util';
import { KafkaStreams, type StoreType, type StreamsConfig, type Topology } from '@millrace/streams';

export interface ExampleArgs {
  /** The application's settings from the common options. */
  config: Pick<StreamsConfig, 'applicationId' | 'brokers' | 'processingGuarantee' | 'commitIntervalMs' | 'sessionTimeoutMs' | 'stateDir'>;
  /** With --persistent, the example's key-value stores are SQLite files under --state-dir. */
  store: StoreType;
  values: Record<string, string>;
}

/**
 * Reads an example's options (`--brokers host:port[,host:port]`, `--application-id`,
 * `--exactly-once`, `--commit-interval-ms`, `--session-timeout-ms`, `--persistent`, `--state-dir`,
 * and the example's own) and exits with a usage line when one is missing.
 */
export function exampleArgs(usage: string, names: string[], defaultApplicationId: string): ExampleArgs {
  const options: Record<string, { type: 'string' | 'boolean' }> = Object.fromEntries([...names, 'brokers', 'application-id', 'commit-interval-ms', 'session-timeout-ms', 'state-dir'].map((n) => [n, { type: 'string' }]));
  options['exactly-once'] = { type: 'boolean' };
  options.persistent = { type: 'boolean' };
  const { values } = parseArgs({ options, strict: true }) as { values: Record<string, string | boolean | undefined> };
  const missing = ['brokers', ...names].filter((n) => values[n] === undefined);
  if (missing.length > 0) {
    process.stderr.write(`missing --${missing.join(', --')}\nusage: ${usage}\n`);
    process.exit(2);
  }
  const number = (name: string) => (values[name] === undefined ? undefined : Number(values[name]));
  return {
    config: {
      brokers: String(values.brokers).split(','),
      applicationId: (values['application-id'] as string | undefined) ?? defaultApplicationId,
      processingGuarantee: values['exactly-once'] ? 'exactly-once' : 'at-least-once',
      commitIntervalMs: number('commit-interval-ms'),
      sessionTimeoutMs: number('session-timeout-ms'),
      stateDir: values['state-dir'] as string | undefined,
    },
    store: values.persistent ? 'persistent' : 'in-memory',
    values: values as Record<string, string>,
  };
}

/** Runs the topology until SIGTERM or SIGINT, then closes cleanly (committing what was processed). */
export async function runUntilStopped(topology: Topology, config: StreamsConfig): Promise<void> {
  const app: KafkaStreams = new KafkaStreams(topology, {
    ...config,
    onStateChange: (state) => process.stderr.write(`${config.applicationId}: ${state}${state === 'RUNNING' ? ` (tasks: ${app.taskIds().join(', ') || 'none'})` : ''}\n`),
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    app.close().then(() => process.exit(0), (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  await app.start();
  // Watch for a failure that stops the application while it runs.
  const watch = setInterval(() => {
    if (app.state === 'ERROR') {
      process.stderr.write(`${config.applicationId} stopped: ${app.error?.message}\n`);
      process.exit(1);
    }
  }, 200);
  watch.unref();
}
