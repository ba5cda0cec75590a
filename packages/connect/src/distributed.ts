import type { ConfigMap } from './connector.ts';
import { DistributedHerder } from './runtime/distributed-herder.ts';
import { DISTRIBUTED_WORKER_CONFIG } from './runtime/distributed-worker-config.ts';
import { workerSettings } from './runtime/worker-config.ts';
import { type RunningWorker, startRest } from './standalone.ts';

/**
 * Starts a distributed worker: its REST API, then its herder, which reads the group's config,
 * offsets and status topics (creating them if missing) and joins the group `group.id`.
 */
export async function startDistributedWorker(config: ConfigMap, log: (message: string) => void): Promise<RunningWorker> {
  const settings = workerSettings(DISTRIBUTED_WORKER_CONFIG, config);
  const { rest, restUrl, workerId, admin } = await startRest(settings, log);
  const herder = new DistributedHerder(settings, workerId, restUrl, log);
  const stop = async () => {
    await rest.close();
    await herder.stop();
    await admin.close();
  };
  try {
    await herder.start();
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  rest.serve(herder);
  log(`worker ${workerId} started, a member of group ${config['group.id']}`);
  const failed = new Promise<Error>((resolve) => (herder.onFatal = resolve));
  return { restUrl, workerId, stop, failed };
}
