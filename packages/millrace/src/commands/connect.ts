import { readFileSync } from 'node:fs';
import { ConfigError, parseProperties } from '@millrace/broker';
import { ConnectError, type RunningWorker, startDistributedWorker, startStandaloneWorker } from '@millrace/connect';
import { onStopSignal } from '../stop-signals.ts';

export const CONNECT_USAGE = `Usage:
  millrace connect standalone WORKER.properties [CONNECTOR.properties...]
      runs a Kafka Connect worker in this process with the connectors given, until SIGTERM or Ctrl-C.
      Kafka Connect's settings: bootstrap.servers, key.converter, value.converter,
      offset.storage.file.filename, offset.flush.interval.ms, listeners (REST API, default
      http://:8083); each connector file names its name, connector.class (FileStreamSource,
      FileStreamSink) and tasks.max. Connectors can also be added through the REST API.
  millrace connect distributed WORKER.properties
      runs a worker of the group named by group.id: the group's workers share the connectors and
      tasks, kept in config.storage.topic, offset.storage.topic and status.storage.topic; a worker
      that dies has its work moved to the others. Connectors are added through the REST API.
      See docs/connect.md.`;

function readProperties(path: string): Record<string, string> {
  try {
    return parseProperties(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${path}: ${(err as Error).message}`);
  }
}

/** `millrace connect standalone ...`: runs until stopped; exit code 2 for a bad command line or configuration. */
export async function connectCommand(args: string[]): Promise<number> {
  const [mode, workerFile, ...connectorFiles] = args;
  if (mode === '--help' || mode === '-h' || mode === undefined) {
    console.log(CONNECT_USAGE);
    return mode === undefined ? 2 : 0;
  }
  if ((mode !== 'standalone' && mode !== 'distributed') || workerFile === undefined || (mode === 'distributed' && connectorFiles.length > 0)) {
    const problem = mode !== 'standalone' && mode !== 'distributed' ? `unknown mode "${mode}"`
      : workerFile === undefined ? `${mode} needs a worker file` : 'distributed takes only a worker file: connectors are added through the REST API';
    console.error(`millrace connect: ${problem}\n\n${CONNECT_USAGE}`);
    return 2;
  }
  const log = (message: string) => console.error(`millrace connect: ${message}`);
  let worker: RunningWorker;
  try {
    worker = mode === 'standalone'
      ? await startStandaloneWorker(readProperties(workerFile), connectorFiles.map(readProperties), log)
      : await startDistributedWorker(readProperties(workerFile), log);
  } catch (err) {
    if (!(err instanceof ConnectError || err instanceof ConfigError)) throw err;
    console.error(`millrace connect: ${err.message}`);
    return 2;
  }
  await new Promise<void>((done) => {
    onStopSignal((why) => {
      log(`${why}, stopping`);
      worker.stop().then(done, (err: Error) => {
        console.error(`millrace connect: stopping failed: ${err.message}`);
        process.exit(1);
      });
    });
    void worker.failed?.then((err) => {
      console.error(`millrace connect: the worker stops: ${err.message}`);
      void worker.stop().finally(() => process.exit(1));
    });
  });
  log('stopped');
  return 0;
}
