// npm run bench (through scripts/bench.sh, which installs the peers): Millrace beside Redis Streams,
// NATS JetStream and RabbitMQ Streams (produce, consume, end-to-end latency at a fixed rate, server
// memory) with the machine's limits measured in the same run; our client beside KafkaJS and
// @platformatic/kafka; startup recovery of a 1 GiB log after SIGKILL; compaction speed and how long
// it holds the event loop. Prints tables and writes everything as JSON to bench/results.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchClients, clientReport } from './clients.ts';
import { benchCluster, clusterReport } from './cluster.ts';
import { benchCompaction } from './compaction.ts';
import { measureFsyncedWrites } from './disk-limit.ts';
import { measureLoopbackTcp } from './loopback-limit.ts';
import { benchMillrace } from './peers/millrace.ts';
import { benchNatsJetStream } from './peers/nats-jetstream.ts';
import { benchRabbitMqStreams } from './peers/rabbitmq-streams.ts';
import { benchRedisStreams } from './peers/redis-streams.ts';
import { type PeerOutcome, peerReport } from './peers/report.ts';
import type { SystemResult, Workload } from './peers/workload.ts';
import { benchRecovery, recoveryReport } from './recovery.ts';
import { benchStreams, streamsReport } from './streams.ts';
import { benchCdc, cdcReport } from './cdc.ts';
import { benchConnect, connectReport } from './connect.ts';
import { benchSecurity, securityReport } from './security.ts';

const workload: Workload = {
  records: Number(process.env.BENCH_RECORDS ?? 300_000),
  recordBytes: 1024,
  e2eRate: 10_000,
  e2eSeconds: Number(process.env.BENCH_E2E_SECONDS ?? 10),
};
const PEERS: [string, (w: Workload) => Promise<SystemResult>][] = [
  ['Redis Streams', benchRedisStreams],
  ['NATS JetStream', benchNatsJetStream],
  ['RabbitMQ Streams', benchRabbitMqStreams],
];
const here = import.meta.dirname;

// The disk is measured before and after the systems that write to it, and the two averaged.
const diskBefore = measureFsyncedWrites(1 << 20, 512 << 20);
const loopback = await measureLoopbackTcp();
const millrace = await benchMillrace(workload);
const peers: PeerOutcome[] = [];
for (const [system, bench] of PEERS) {
  try {
    peers.push(await bench(workload));
  } catch (err) {
    peers.push({ system, error: (err as Error).message.split('\n')[0] });
  }
}
const diskAfter = measureFsyncedWrites(1 << 20, 512 << 20);
const limits = { fsyncedWriteMbPerSecond: (diskBefore.mbPerSecond + diskAfter.mbPerSecond) / 2, loopbackTcpMbPerSecond: loopback.mbPerSecond };
for (const line of peerReport(workload, millrace, peers, limits)) console.log(line);

const clients = await benchClients();
for (const line of clientReport(clients)) console.log(line);

const cluster = await benchCluster();
for (const line of clusterReport(cluster)) console.log(line);

const streams = await benchStreams();
for (const line of streamsReport(streams)) console.log(line);
const connect = await benchConnect();
for (const line of connectReport(connect)) console.log(line);
const cdc = await benchCdc();
for (const line of cdcReport(cdc)) console.log(line);
const security = await benchSecurity();
for (const line of securityReport(security)) console.log(line);
const recovery = await benchRecovery();
for (const line of recoveryReport(recovery)) console.log(line);

const compaction = await benchCompaction();
console.log(`\ncompaction of ${compaction.logMb.toFixed(0)} MB of keyed updates (lz4) to ${compaction.keptMb.toFixed(0)} MB: ${compaction.seconds.toFixed(2)} s (${(compaction.logMb / compaction.seconds).toFixed(0)} MB/s; a plain read of the files ${compaction.rawReadSeconds.toFixed(2)} s)`);
console.log(`  event loop held at most ${compaction.maxLoopDelayMs.toFixed(1)} ms at a time (p99 ${compaction.p99LoopDelayMs.toFixed(1)} ms) while compacting`);
const resultsDir = join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const file = join(resultsDir, `bench-${Date.now()}.json`);
writeFileSync(file, JSON.stringify({ commit, workload, limits: { disk: [diskBefore, diskAfter], loopback }, millrace, peers, clients, cluster, streams, connect, cdc, security, recovery, compaction }, null, 2));
console.log(`\nresults: ${file}`);
// A peer that could not be measured is a failed run, after everything else has been reported.
if (peers.some((p) => 'error' in p)) process.exitCode = 1;
