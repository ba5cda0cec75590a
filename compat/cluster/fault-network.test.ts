// The fault schedule with network partitions: etcd and each broker in a network namespace of its
// own, and nftables rules cutting a broker off from the other brokers, from etcd, or (a partition
// leader) from both, beside kills and pauses. Where namespaces cannot be made, it says so and the
// process-level schedule (fault-schedule.test.ts) is what runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { describe } from './checker.ts';
import { brokerAccount, runFaultSchedule } from './fault-run.ts';
import { openTestNetwork } from './test-network.ts';

test('12 faults with network partitions under acks=all idempotent and transactional producers and consumers: nothing acknowledged is lost, duplicated or moved, no consumer goes back, no aborted record is read, no transaction is seen in part', { timeout: 900_000 }, async (t) => {
  const network = openTestNetwork(['etcd', 'b1', 'b2', 'b3']);
  if (!network) {
    t.skip('network namespaces cannot be made on this machine (root and iproute2 are needed): partitions are not tested here; the process-level fault schedule still runs');
    return;
  }
  try {
    const result = await runFaultSchedule({ faults: 12, seed: 4_12_2026, network, log: (line) => console.log(line) });
    console.log(`fault schedule with partitions: ${JSON.stringify(result.faultsByKind)}, ${result.sent} sent, transactions ${JSON.stringify(result.transactions)}, ${describe(result)}, ${result.producerErrors.length} producer(s) stopped by a fatal client error${result.producerErrors.map((e) => `\n  ${e}`).join('')}, ${result.seconds.toFixed(0)} s`);
    assert.ok(result.acknowledged > 1_000, `only ${result.acknowledged} records were acknowledged: the workload did not run`);
    assert.ok(result.transactions.committed > 10, `only ${result.transactions.committed} transactions were committed: the transactional workload did not run`);
    assert.ok(result.valid, `${describe(result)}\n${brokerAccount(result)}`);
  } finally {
    network.dispose();
  }
});

/** Whether a TCP connection from host `from` gets an answer from `to` (a refusal is an answer) within a second. */
function answers(from: string, to: string): boolean {
  const probe = spawnSync('ip', ['netns', 'exec', from, 'timeout', '1', 'bash', '-c', `exec 3<>/dev/tcp/${to}/9`], { encoding: 'utf8' });
  return probe.status !== 124;
}

test('a cut drops traffic both ways between two hosts and nobody else; heal restores it', (t) => {
  const network = openTestNetwork(['a', 'b', 'c']);
  if (!network) {
    t.skip('network namespaces cannot be made on this machine');
    return;
  }
  try {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => network.hosts.get(n)!);
    assert.ok(answers(a.netns, b.address) && answers(b.netns, a.address), 'hosts reach each other');
    network.cut('a', ['b']);
    assert.ok(!answers(a.netns, b.address) && !answers(b.netns, a.address), 'the cut drops both directions');
    assert.ok(answers(a.netns, c.address) && answers(c.netns, b.address), 'other pairs are untouched');
    network.heal();
    assert.ok(answers(a.netns, b.address), 'healed');
  } finally {
    network.dispose();
  }
});
