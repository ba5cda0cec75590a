// The cluster's own test hosts: one network namespace per host (etcd, each broker) on a bridge,
// with nftables rules inside a namespace to cut it off from other hosts. Root only; where
// namespaces cannot be made, `openTestNetwork` resolves null and the caller says so.
import { execFileSync } from 'node:child_process';

export interface TestHost {
  name: string;
  /** The namespace the host's process runs in. */
  netns: string;
  address: string;
}

export interface TestNetwork {
  hosts: Map<string, TestHost>;
  /** Drops all traffic between `host` and each of `others` (both directions), until heal. */
  cut(host: string, others: string[]): void;
  /** Removes every cut. */
  heal(): void;
  dispose(): void;
}

// A subnet per test process, so that two runs at once (a soak beside the tests) do not collide.
const SUBNET = `10.77.${(process.pid % 250) + 1}`;
const BRIDGE_ADDRESS = `${SUBNET}.1`;

function run(...args: string[]): void {
  execFileSync(args[0], args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
}

function tryRun(...args: string[]): void {
  try {
    run(...args);
  } catch {
    // Cleanup of something already gone.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes the namespaces and bridges of test runs whose process is gone (killed before it could clean up). */
function removeStale(): void {
  const output = (...args: string[]) => {
    try {
      return execFileSync(args[0], args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch {
      return '';
    }
  };
  for (const match of output('ip', 'netns', 'list').matchAll(/^mr(\d+)-\S+/gm)) if (!alive(Number(match[1]))) tryRun('ip', 'netns', 'del', match[0]);
  for (const match of output('ip', '-o', 'link', 'show', 'type', 'bridge').matchAll(/\b(mr(\d+)br)\b/g)) if (!alive(Number(match[2]))) tryRun('ip', 'link', 'del', match[1]);
}

/** A network of `names` hosts, or null when this machine does not allow namespaces (not root, a sandbox). */
export function openTestNetwork(names: string[]): TestNetwork | null {
  removeStale();
  const tag = `mr${process.pid}`;
  const bridge = `${tag}br`;
  const hosts = new Map<string, TestHost>();
  const dispose = () => {
    for (const host of hosts.values()) tryRun('ip', 'netns', 'del', host.netns);
    tryRun('ip', 'link', 'del', bridge);
  };
  try {
    run('ip', 'link', 'add', bridge, 'type', 'bridge');
    run('ip', 'addr', 'add', `${BRIDGE_ADDRESS}/24`, 'dev', bridge);
    run('ip', 'link', 'set', bridge, 'up');
    names.forEach((name, i) => {
      const host = { name, netns: `${tag}-${name}`, address: `${SUBNET}.${10 + i}` };
      hosts.set(name, host);
      const outside = `${tag}v${i}`;
      const inside = `${tag}p${i}`;
      run('ip', 'netns', 'add', host.netns);
      run('ip', 'link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
      run('ip', 'link', 'set', inside, 'netns', host.netns);
      run('ip', 'link', 'set', outside, 'master', bridge);
      run('ip', 'link', 'set', outside, 'up');
      run('ip', 'netns', 'exec', host.netns, 'ip', 'addr', 'add', `${host.address}/24`, 'dev', inside);
      run('ip', 'netns', 'exec', host.netns, 'ip', 'link', 'set', inside, 'up');
      run('ip', 'netns', 'exec', host.netns, 'ip', 'link', 'set', 'lo', 'up');
      run('ip', 'netns', 'exec', host.netns, 'nft', 'add', 'table', 'inet', 'cuts');
      run('ip', 'netns', 'exec', host.netns, 'nft', 'add', 'chain', 'inet', 'cuts', 'in', '{ type filter hook input priority 0 ; }');
      run('ip', 'netns', 'exec', host.netns, 'nft', 'add', 'chain', 'inet', 'cuts', 'out', '{ type filter hook output priority 0 ; }');
    });
  } catch {
    dispose();
    return null;
  }
  process.once('exit', dispose);
  const nft = (host: TestHost, ...args: string[]) => run('ip', 'netns', 'exec', host.netns, 'nft', ...args);
  return {
    hosts,
    cut(name, others) {
      const host = hosts.get(name)!;
      for (const other of others.map((o) => hosts.get(o)!)) {
        // Both ends drop, so that neither side's packets reach the other (a symmetric partition).
        nft(host, 'add', 'rule', 'inet', 'cuts', 'out', 'ip', 'daddr', other.address, 'drop');
        nft(host, 'add', 'rule', 'inet', 'cuts', 'in', 'ip', 'saddr', other.address, 'drop');
        nft(other, 'add', 'rule', 'inet', 'cuts', 'out', 'ip', 'daddr', host.address, 'drop');
        nft(other, 'add', 'rule', 'inet', 'cuts', 'in', 'ip', 'saddr', host.address, 'drop');
      }
    },
    heal() {
      for (const host of hosts.values()) {
        nft(host, 'flush', 'chain', 'inet', 'cuts', 'in');
        nft(host, 'flush', 'chain', 'inet', 'cuts', 'out');
      }
    },
    dispose,
  };
}
