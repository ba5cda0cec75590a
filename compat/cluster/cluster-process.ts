// Three broker processes and a real etcd on loopback: a cluster for real-client tests.
import { startEtcd, type EtcdServer } from '../../packages/cluster/src/test-support/etcd-server.ts';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';

export interface RunningCluster {
  etcd: EtcdServer;
  brokers: RunningBroker[];
  bootstrap: string;
  dispose(): Promise<void>;
}

/** Starts etcd, then `count` brokers (node ids 1..count) joined to it with `settings` (Kafka names). */
export async function startCluster(count: number, settings: Record<string, string> = {}): Promise<RunningCluster> {
  const etcd = await startEtcd();
  const brokers: RunningBroker[] = [];
  try {
    for (let id = 1; id <= count; id++) {
      const sets = Object.entries({ 'node.id': String(id), 'etcd.endpoints': etcd.endpoint, ...settings }).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
      brokers.push(await startBroker({ args: sets }));
    }
  } catch (err) {
    for (const b of brokers) await b.dispose();
    await etcd.stop();
    throw err;
  }
  return {
    etcd,
    brokers,
    bootstrap: brokers.map((b) => b.bootstrap).join(','),
    async dispose() {
      for (const b of brokers) await b.dispose();
      await etcd.stop();
    },
  };
}
