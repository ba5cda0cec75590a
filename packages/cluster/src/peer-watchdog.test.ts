import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import type { LiveBroker } from './cluster-view.ts';
import { PeerWatchdog } from './peer-watchdog.ts';

/** A listener standing in for a broker; `die` closes it and its connections, as the end of a process does. */
async function listener(port = 0): Promise<{ port: number; die(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    die() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

const broker = (nodeId: number, port: number, epoch = 1n): LiveBroker => ({ nodeId, host: '127.0.0.1', port, rack: null, epoch, lease: `lease-${nodeId}` });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

test('a broker whose process goes away is reported dead once; live ones and this broker are not', async () => {
  const [a, b] = [await listener(), await listener()];
  const dead: number[] = [];
  const watchdog = new PeerWatchdog(1, (x) => dead.push(x.nodeId));
  watchdog.update([broker(1, 1), broker(2, a.port), broker(3, b.port)]);
  await sleep(200);
  assert.deepEqual(dead, [], 'this broker (1, at a port nothing listens on) is not watched');
  b.die();
  await until(() => dead.length > 0);
  await sleep(300);
  assert.deepEqual(dead, [3]);
  watchdog.stop();
  a.die();
});

test('a broker already gone when first watched is reported; its next incarnation is watched afresh', async () => {
  const first = await listener();
  first.die();
  const dead: bigint[] = [];
  const watchdog = new PeerWatchdog(1, (x) => dead.push(x.epoch));
  watchdog.update([broker(2, first.port, 5n)]);
  await until(() => dead.length === 1);
  const again = await listener(first.port);
  watchdog.update([broker(2, again.port, 6n)]);
  await sleep(300);
  assert.deepEqual(dead, [5n]);
  watchdog.stop();
  again.die();
});
