import { hostname } from 'node:os';
import { Admin } from '@millrace/client';
import type { ConfigMap } from './connector.ts';
import { ConnectError } from './errors.ts';
import { RestServer } from './rest/rest-server.ts';
import { StandaloneHerder } from './runtime/standalone-herder.ts';
import { STANDALONE_WORKER_CONFIG, type WorkerSettings, workerSettings } from './runtime/worker-config.ts';

/** A worker process's parts, running: its REST API's URL, and how to stop it all. */
export interface RunningWorker {
  restUrl: string;
  workerId: string;
  stop(): Promise<void>;
  /** Settles if the worker cannot go on (a distributed worker refused by its group). */
  failed?: Promise<Error>;
}

/**
 * Starts a standalone worker: its REST API, then the connectors given (each refused with
 * INVALID_CONFIG before anything of it starts).
 */
export async function startStandaloneWorker(config: ConfigMap, connectors: ConfigMap[], log: (message: string) => void): Promise<RunningWorker> {
  const settings = workerSettings(STANDALONE_WORKER_CONFIG, config);
  const { rest, restUrl, workerId, admin } = await startRest(settings, log);
  const herder = new StandaloneHerder(settings, workerId, log);
  const stop = async () => {
    await rest.close();
    await herder.stop();
    await admin.close();
  };
  try {
    for (const connector of connectors) {
      await herder.putConnectorConfig(connector.name ?? '', connector, { allowReplace: false }).catch((err: unknown) => {
        throw err instanceof ConnectError ? new ConnectError(err.code, `connector ${connector.name ?? '(no name)'}: ${err.message}`, { cause: err }) : err;
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  rest.serve(herder);
  return { restUrl, workerId, stop };
}

/** Starts the REST API (answering 503 until given a herder) and works out the worker's id from where it listens. */
export async function startRest(settings: WorkerSettings, log: (message: string) => void): Promise<{ rest: RestServer; restUrl: string; workerId: string; admin: Admin }> {
  const admin = new Admin({ brokers: settings.brokers, clientId: 'connect-worker-admin' });
  let clusterId: Promise<string | null> | null = null;
  const rest = new RestServer(() => (clusterId ??= admin.describeCluster().then((c) => c.clusterId, () => (clusterId = null))));
  let port: number;
  try {
    port = await rest.listen(settings.listener.host, settings.listener.port);
  } catch (err) {
    await admin.close();
    throw new ConnectError('INVALID_CONFIG', `listeners: the REST API cannot listen on ${settings.listener.host || '*'}:${settings.listener.port}: ${(err as Error).message}`, { cause: err });
  }
  const host = settings.config['rest.advertised.host.name'] ?? (settings.listener.host || hostname());
  const workerId = `${host}:${settings.config['rest.advertised.port'] ?? port}`;
  const restUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  log(`REST API listening at ${restUrl}`);
  return { rest, restUrl, workerId, admin };
}
