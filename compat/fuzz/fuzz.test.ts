// Sends 100,000 random and mutated frames to a real broker process, then checks that it still
// serves a real client (kcat) and that its memory stayed bounded.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { ApiKey, createCreateTopicsRequest, createCreateTopicsRequestCreatableTopic, type CreateTopicsResponse, encodeRecordBatch } from '@millrace/protocol';
import { WireClient } from '../../packages/broker/src/test-support/wire-client.ts';
import { mutate, random, seedFrames } from '../../packages/broker/src/fuzz/frame-mutator.ts';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { runTool } from '../harness/run-tool.ts';

const FRAMES = 100_000;
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
/** The broker's resident memory may grow by at most this much over the whole run. */
const RSS_GROWTH_LIMIT_BYTES = 200 * 1024 * 1024;

let broker: RunningBroker;

/** Creates a topic through the wire (auto-creation is off so mutated Metadata requests cannot fill the disk). */
async function createTopic(name: string): Promise<void> {
  const client = await WireClient.connect(broker.port);
  const created = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 4, createCreateTopicsRequest({
    topics: [createCreateTopicsRequestCreatableTopic({ name, numPartitions: 1, replicationFactor: 1 })],
    timeoutMs: 5000,
  }));
  client.close();
  assert.equal(created.topics[0].errorCode, 0);
}

before(async () => {
  broker = await startBroker({ args: ['--set', 'auto.create.topics.enable=false'] });
  await createTopic('fuzz');
});

after(async () => {
  await broker?.stop();
});

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Writes frames on one connection until the broker closes it; returns how many it took. */
function sendUntilClosed(port: number, frames: () => Buffer | null): Promise<number> {
  return new Promise((resolve) => {
    let sent = 0;
    const socket = connect(port, '127.0.0.1');
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => resolve(sent));
    const pump = () => {
      for (;;) {
        const frame = frames();
        if (!frame) {
          socket.end();
          return;
        }
        sent++;
        if (!socket.write(frame)) return void socket.once('drain', pump);
      }
    };
    socket.once('connect', pump);
  });
}

test(`the broker survives ${FRAMES} hostile frames (seed ${SEED})`, { timeout: 600_000 }, async () => {
  const batch = encodeRecordBatch({ baseOffset: 0n, baseTimestamp: BigInt(Date.now()), records: [{ timestampDelta: 0n, key: Buffer.from('k'), value: Buffer.from('v'), headers: [] }] });
  const seeds = seedFrames('fuzz', batch);
  const rand = random(SEED);
  const rssBefore = rssBytes(broker.process.pid!);
  let remaining = FRAMES;
  let connections = 0;
  // Up to 50 frames per connection: most hostile frames close it, so the next connection starts fresh.
  while (remaining > 0) {
    let onThisConnection = 0;
    await sendUntilClosed(broker.port, () => (remaining > 0 && onThisConnection++ < 50 ? (remaining--, mutate(rand, seeds)) : null));
    connections++;
  }
  assert.ok(connections > 1000, `expected many connections to be closed by the broker, saw ${connections}`);
  assert.equal(broker.process.exitCode, null, 'the broker process exited');
  // A real client still gets everything right: metadata, a produce and a consume on a new topic.
  await createTopic('after-fuzz');
  const listing = await runTool('kcat', ['-b', broker.bootstrap, '-L', '-J'], { timeoutMs: 20_000 });
  const metadata = JSON.parse(listing.stdout) as { brokers: { id: number }[]; topics: { topic: string }[] };
  assert.equal(metadata.brokers.length, 1);
  assert.ok(metadata.topics.some((t) => t.topic === 'after-fuzz'));
  await runTool('kcat', ['-b', broker.bootstrap, '-t', 'after-fuzz', '-P'], { input: 'still-serving\n', timeoutMs: 20_000 });
  const consumed = await runTool('kcat', ['-b', broker.bootstrap, '-t', 'after-fuzz', '-C', '-e', '-o', 'beginning'], { timeoutMs: 20_000 });
  assert.equal(consumed.stdout.trim(), 'still-serving');
  const growth = rssBytes(broker.process.pid!) - rssBefore;
  assert.ok(growth < RSS_GROWTH_LIMIT_BYTES, `broker RSS grew by ${(growth / 1e6).toFixed(1)} MB`);
});
