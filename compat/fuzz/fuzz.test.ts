// Sends 100,000 random and mutated frames to a real broker process, then checks that it still
// serves a real client (kcat) and that its memory stayed bounded.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { ApiKey, createCreateTopicsRequest, createCreateTopicsRequestCreatableTopic, type CreateTopicsResponse } from '@millrace/protocol';
import { testBatch } from '../../packages/storage/src/test-batches.ts';
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
  await broker?.dispose();
});

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

type Outcome = 'answered' | 'closed' | 'silent';

/**
 * A connection that sends one frame at a time and waits for what the broker does with it: an
 * answer, a closed connection, or nothing (acks=0) within a short while. Counting outcomes proves
 * that every frame was really read by the broker, not lost in a socket it had already closed.
 */
class ProbeConnection {
  private readonly socket: Socket;
  private waiter: ((o: Outcome) => void) | null = null;
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', () => this.settle('answered'));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.settle('closed');
    });
  }

  static open(port: number): Promise<ProbeConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new ProbeConnection(socket)));
      socket.once('error', reject);
    });
  }

  private settle(outcome: Outcome): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.(outcome);
  }

  send(frame: Buffer): Promise<Outcome> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle('silent'), SILENCE_MS);
      this.waiter = (o) => {
        clearTimeout(timer);
        resolve(o);
      };
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** How long a frame may go unanswered before it counts as silent (a produce with acks=0). */
const SILENCE_MS = 50;

test(`the broker survives ${FRAMES} hostile frames (seed ${SEED})`, { timeout: 600_000 }, async () => {
  const batch = testBatch({ records: 1 });
  const seeds = seedFrames('fuzz', batch);
  const rand = random(SEED);
  const rssBefore = rssBytes(broker.process.pid!);
  const outcomes: Record<Outcome, number> = { answered: 0, closed: 0, silent: 0 };
  let connection = await ProbeConnection.open(broker.port);
  for (let i = 0; i < FRAMES; i++) {
    if (connection.closed) connection = await ProbeConnection.open(broker.port);
    const outcome = await connection.send(mutate(rand, seeds));
    outcomes[outcome]++;
    // A silent frame may be a partial one the broker is still waiting to complete: start afresh.
    if (outcome === 'silent') connection.close();
  }
  connection.close();
  console.log(`fuzz outcomes: ${JSON.stringify(outcomes)}`);
  assert.equal(outcomes.answered + outcomes.closed + outcomes.silent, FRAMES);
  assert.ok(outcomes.closed > FRAMES / 10, 'most hostile frames should close their connection');
  assert.ok(outcomes.answered > FRAMES / 20, 'mutations that stay well formed should be answered');
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
