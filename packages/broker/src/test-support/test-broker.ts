// An in-process broker on an ephemeral port with a temporary data directory, for scenario tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../broker.ts';
import { buildBrokerConfig } from '../config/broker-config.ts';
import { silentLogger } from '../logger.ts';

export interface TestBroker {
  broker: Broker;
  port: number;
  dataDir: string;
  /** Stops the broker and starts a new one on the same data directory. */
  restart(): Promise<TestBroker>;
  close(): Promise<void>;
}

export async function startTestBroker(settings: Record<string, string> = {}, dataDir = mkdtempSync(join(tmpdir(), 'millrace-test-'))): Promise<TestBroker> {
  const broker = await Broker.start({ dataDir, host: '127.0.0.1', port: 0, config: buildBrokerConfig(settings), log: silentLogger });
  return {
    broker,
    port: broker.port,
    dataDir,
    async restart() {
      await broker.stop();
      return startTestBroker(settings, dataDir);
    },
    async close() {
      await broker.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
