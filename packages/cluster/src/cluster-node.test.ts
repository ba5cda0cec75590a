import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ClusterNode, type ClusterNodeOptions } from './cluster-node.ts';
import { startEtcd, type EtcdServer } from './test-support/etcd-server.ts';

let etcd: EtcdServer;
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd.stop();
});

const quiet = { info() {}, warn() {}, error() {} };

function options(clusterName: string, nodeId: number, sessionTimeoutMs = 3_000): ClusterNodeOptions {
  return {
    endpoints: [etcd.endpoint],
    clusterName,
    registration: { nodeId, host: '127.0.0.1', port: 9000 + nodeId, rack: null },
    sessionTimeoutMs,
    // Nothing listens at these brokers' addresses: the watchdog would take them all for dead.
    watchPeers: false,
    uncleanElectionAllowed: () => false,
    log: quiet,
  };
}

async function until<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('three brokers: one controller, every broker sees the others and a new topic with its leaders', async () => {
  const nodes = await Promise.all([1, 2, 3].map((id) => ClusterNode.join(options('c1', id), () => {})));
  try {
    await until('all brokers registered', () => nodes.every((n) => n.view.brokers.size === 3));
    await until('one controller', () => nodes.filter((n) => n.isController).length === 1);
    const controller = nodes.find((n) => n.isController)!;
    await until('every view names it', () => nodes.every((n) => n.view.controllerId === controller.nodeId));
    const assignment = await nodes[1].topics.createTopic('orders', 6, 3, { 'min.insync.replicas': '2' });
    assert.equal(assignment.replicas.length, 6);
    for (const node of nodes) {
      await until('the topic everywhere', () => node.view.topics.get('orders'));
      for (let p = 0; p < 6; p++) {
        const state = node.view.partition(assignment.id, p)!.state;
        assert.equal(state.leader, assignment.replicas[p][0]);
        assert.deepEqual(state.isr, assignment.replicas[p]);
      }
    }
    await assert.rejects(nodes[2].topics.createTopic('orders', 1, 1, {}), /already exists/);
    await assert.rejects(nodes[2].topics.createTopic('wide', 1, 4, {}), /replication factor 4 is larger than the 3 available brokers/);
  } finally {
    for (const n of nodes) await n.leave();
  }
});

test('a broker that leaves loses its leaderships to live ISR members with a higher epoch, and its ISR places', async () => {
  const nodes = await Promise.all([1, 2, 3].map((id) => ClusterNode.join(options('c2', id), () => {})));
  const [first, second, third] = nodes;
  try {
    await until('all registered', () => nodes.every((n) => n.view.brokers.size === 3));
    const assignment = await first.topics.createTopic('events', 3, 3, {}, [[1, 2, 3], [2, 3, 1], [3, 1, 2]]);
    await first.leave();
    for (const node of [second, third]) {
      await until('partition 0 led by broker 2', () => node.view.partition(assignment.id, 0)?.state.leader === 2);
      const p0 = node.view.partition(assignment.id, 0)!.state;
      assert.equal(p0.leaderEpoch, 1);
      assert.deepEqual(p0.isr, [2, 3]);
      await until('broker 1 out of every ISR', () => [1, 2].every((p) => !node.view.partition(assignment.id, p)!.state.isr.includes(1)));
      const p1 = node.view.partition(assignment.id, 1)!.state;
      assert.equal(p1.leader, 2);
      assert.equal(p1.leaderEpoch, 0, 'losing a follower does not change the epoch');
    }
  } finally {
    for (const n of [second, third]) await n.leave();
  }
});

test('a controller whose lease ends is replaced with the epoch bumped, and the old one resigns', async () => {
  const nodes = await Promise.all([1, 2].map((id) => ClusterNode.join(options('c3', id, 2_000), () => {})));
  try {
    await until('a controller', () => nodes.some((n) => n.isController));
    const old = nodes.find((n) => n.isController)!;
    const other = nodes.find((n) => n !== old)!;
    await until('both views name it', () => nodes.every((n) => n.view.controllerId === old.nodeId));
    const oldEpoch = other.view.controllerEpoch;
    // The old controller stops renewing (as a paused process would); its lease ends after the TTL.
    old.membership.stop();
    await until('the other broker takes over', () => other.isController, 20_000);
    await until('its view shows the new epoch', () => other.view.controllerId === other.nodeId);
    assert.equal(other.view.controllerEpoch, oldEpoch + 1);
    await until('the old controller resigns', () => !old.isController, 20_000);
  } finally {
    for (const n of nodes) await n.leave();
  }
});

test('a broker restarting at its own address replaces its previous registration at once, with a new epoch', async () => {
  const first = await ClusterNode.join(options('c4', 7, 30_000), () => {});
  const epoch = first.membership.epoch;
  first.membership.stop();
  const started = Date.now();
  const again = await ClusterNode.join(options('c4', 7, 30_000), () => {});
  try {
    assert.ok(Date.now() - started < 5_000, 'it did not wait for the 30 s lease');
    assert.ok(again.membership.epoch > epoch);
  } finally {
    await again.leave();
    await first.leave();
  }
});

test('producer id blocks reserved by brokers at the same time never overlap, and start above a floor', async () => {
  const nodes = await Promise.all([1, 2].map((id) => ClusterNode.join(options('c5', id), () => {})));
  try {
    const starts = await Promise.all([...Array(10).keys()].map((i) => nodes[i % 2].reserveProducerIds(1000, 0)));
    const sorted = [...starts].sort((a, b) => a - b);
    assert.deepEqual(sorted, [...Array(10).keys()].map((i) => i * 1000));
    assert.equal(await nodes[0].reserveProducerIds(1000, 50_000), 50_000, 'a floor above the counter wins');
    assert.equal(await nodes[1].reserveProducerIds(1000, 0), 51_000);
  } finally {
    for (const n of nodes) await n.leave();
  }
});

test('with broker.rack on every broker, new topics spread each partition over the racks; a broker without one is refused', async () => {
  const racked = (id: number, rack: string | null) => ({ ...options('c6', id), registration: { nodeId: id, host: '127.0.0.1', port: 9000 + id, rack } });
  const nodes = await Promise.all([[1, 'east'], [2, 'east'], [3, 'west'], [4, 'west']].map(([id, rack]) => ClusterNode.join(racked(id as number, rack as string), () => {})));
  try {
    await until('all registered', () => nodes.every((n) => n.view.brokers.size === 4));
    const assignment = await nodes[0].topics.createTopic('spread', 8, 2, {});
    const rackOf = (id: number) => (id <= 2 ? 'east' : 'west');
    for (const replicas of assignment.replicas) assert.deepEqual(new Set(replicas.map(rackOf)), new Set(['east', 'west']));
    const loner = await ClusterNode.join(racked(5, null), () => {});
    try {
      await until('the fifth broker seen', () => nodes[0].view.brokers.size === 5);
      await assert.rejects(nodes[0].topics.createTopic('mixed', 1, 2, {}), /\[5\] have no broker.rack/);
    } finally {
      await loner.leave();
    }
  } finally {
    for (const n of nodes) await n.leave();
  }
});

test('auto leader rebalance: the controller gives partitions back to their preferred leader once it is in the ISR again', async () => {
  const withRebalance = (id: number) => ({ ...options('c7', id), rebalance: { intervalMs: 300, imbalancePercentage: 10 } });
  const nodes = await Promise.all([1, 2, 3].map((id) => ClusterNode.join(withRebalance(id), () => {})));
  const [, second, third] = nodes;
  let back: ClusterNode | null = null;
  try {
    await until('all registered', () => nodes.every((n) => n.view.brokers.size === 3));
    const assignment = await second.topics.createTopic('rebalanced', 2, 3, {}, [[1, 2, 3], [1, 3, 2]]);
    await nodes[0].leave();
    await until('broker 1 out of the ISRs', () => [0, 1].every((p) => !second.view.partition(assignment.id, p)!.state.isr.includes(1)));
    back = await ClusterNode.join(withRebalance(1), () => {});
    await until('broker 1 registered again', () => second.view.brokers.has(1) && third.view.brokers.has(1));
    // The leaders take broker 1 back into their ISRs, as they would once it caught up (a
    // compare-and-swap that loses a race with another change is made again on the newer state).
    for (let p = 0; p < 2; p++) {
      let added = false;
      for (let attempt = 0; attempt < 20 && !added; attempt++) {
        const partition = second.view.partition(assignment.id, p)!;
        const leader = nodes.find((n) => n.nodeId === partition.state.leader)!;
        added = partition.state.isr.includes(1) || (await leader.alterIsr(partition, [...partition.state.isr, 1]));
        if (!added) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(added, `broker 1 back in the ISR of partition ${p}`);
    }
    await until('broker 1 leads both partitions again', () => [0, 1].every((p) => second.view.partition(assignment.id, p)!.state.leader === 1), 10_000);
  } finally {
    for (const n of [second, third]) await n.leave();
    await back?.leave();
  }
});
