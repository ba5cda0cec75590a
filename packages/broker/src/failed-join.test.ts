// A broker that starts serving and then fails to join its cluster stops as a whole: the clients that
// connected meanwhile are disconnected and its data directory is free for the next start.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiKey, createApiVersionsRequest } from '@millrace/protocol';
import { Broker } from './broker.ts';
import { buildBrokerConfig } from './config/broker-config.ts';
import { silentLogger } from './logger.ts';
import { WireClient } from './test-support/wire-client.ts';

function listening(server: ReturnType<typeof createServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

test('a broker whose cluster join fails after it began serving disconnects its clients and frees its directory', { timeout: 30_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'failed-join-'));
  // An "etcd" that accepts connections and never answers holds the join open until it hangs up.
  const etcdSockets: Socket[] = [];
  const etcd = createServer((socket) => etcdSockets.push(socket.on('error', () => {})));
  const etcdPort = await listening(etcd);
  const probe = createServer();
  const port = await listening(probe);
  await new Promise((closed) => probe.close(closed));
  const config = buildBrokerConfig({ 'node.id': '1', 'etcd.endpoints': `http://127.0.0.1:${etcdPort}` });
  const starting = Broker.start({ dataDir, host: '127.0.0.1', port, config, log: silentLogger });
  const failed = starting.then(() => null, (err: Error) => err);
  let client: WireClient | null = null;
  try {
    // Served: a request is answered while the join still waits on etcd.
    while (!client) {
      const attempt = await WireClient.connect(port).catch(() => null);
      const answered = await attempt?.request(ApiKey.ApiVersions, 3, createApiVersionsRequest({ clientSoftwareName: 'test', clientSoftwareVersion: '1' })).then(() => true, () => false);
      if (answered) client = attempt;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const socket of etcdSockets) socket.destroy();
    etcd.close();
    const err = await failed;
    assert.match(String(err?.message), /joining the cluster through etcd/);
    await client.nextFrame();
    assert.ok(client.closed, 'the connected client was disconnected');
    const again = await Broker.start({ dataDir, host: '127.0.0.1', port: 0, config: buildBrokerConfig({ 'node.id': '1' }), log: silentLogger });
    await again.stop();
  } finally {
    client?.close();
    etcd.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
