// Three broker processes and a real etcd on loopback: a cluster for real-client tests.
import { startEtcd, type EtcdServer } from '../../packages/cluster/src/test-support/etcd-server.ts';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import type { TestNetwork } from './test-network.ts';

export interface RunningCluster {
  etcd: EtcdServer;
  brokers: RunningBroker[];
  bootstrap: string;
  dispose(): Promise<void>;
}

/**
 * Starts etcd, then `count` brokers (node ids 1..count) joined to it with `settings` (Kafka names;
 * a function gives each broker its own): on loopback, or each in its own host of `network` (hosts
 * "etcd", "b1", "b2", ...).
 */
export async function startCluster(count: number, settings: Record<string, string> | ((nodeId: number) => Record<string, string>) = {}, network?: TestNetwork): Promise<RunningCluster> {
  const etcdHost = network?.hosts.get('etcd');
  const etcd = await startEtcd(etcdHost ? { netns: etcdHost.netns, host: etcdHost.address } : {});
  const brokers: RunningBroker[] = [];
  try {
    for (let id = 1; id <= count; id++) {
      const own = typeof settings === 'function' ? settings(id) : settings;
      const sets = Object.entries({ 'node.id': String(id), 'etcd.endpoints': etcd.endpoint, ...own }).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
      const host = network?.hosts.get(`b${id}`);
      brokers.push(await startBroker({ args: sets, ...(host ? { netns: host.netns, host: host.address, port: 9092 } : {}) }));
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
