// A full disk with a real client: the broker's data directory is a 16 MiB tmpfs the test mounts.
// librdkafka (acks=all, idempotence off, no retries) produces records of known content to three
// partitions until the disk is full: every produce that does not fit fails with KAFKA_STORAGE_ERROR
// and is never acknowledged, and the broker stays up and answers metadata. The broker is then stopped
// (SIGTERM, with the disk still full), the tmpfs grows to 64 MiB and the broker starts again: every
// acknowledged offset holds exactly its value, and new produces succeed after it on every partition.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat, type KcatRecord } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';

const TOPIC = 'filling';
const PARTITIONS = 3;
const RECORD_BYTES = 10_000;
const DISK_BYTES = 16 * 1024 * 1024;
/** The producer stops once every partition has failed this often, or after LIMIT records (40 MB, 2.4 disks). */
const FAILURES_PER_PARTITION = 5;
const LIMIT = 4_000;
/** librdkafka's code for the broker error KAFKA_STORAGE_ERROR. */
const KAFKA_STORAGE_ERROR = 56;

type Report =
  | { i: number; p: number; o: number; v: string }
  | { i: number; p: number; error: string; code: number; retriable: boolean; reason: string }
  | { sent: number }
  | { stuck: number };

/** Runs `mount` (or `umount`); returns null, or what it printed when it failed. */
function mountCommand(command: 'mount' | 'umount', args: string[]): string | null {
  try {
    execFileSync(command, args, { stdio: 'pipe' });
    return null;
  } catch (err) {
    const said = (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
    return said.split('\n')[0];
  }
}

function metadata(bootstrap: string) {
  return runTool('kcat', ['-b', bootstrap, '-L', '-J', '-t', TOPIC], { timeoutMs: 30_000 }).then(
    ({ stdout }) => JSON.parse(stdout) as { brokers: { id: number }[]; topics: { topic: string; partitions: { partition: number; leader: number; error?: string }[] }[] },
  );
}

/**
 * Mounts a tmpfs of DISK_BYTES and starts a broker on it; the test's after hook stops the broker and
 * unmounts. Resolves null (the test is skipped) when this process may not mount.
 */
async function brokerOnSmallDisk(t: TestContext, partitions: number): Promise<{ broker: RunningBroker; dir: string } | null> {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-disk-full-'));
  const refused = mountCommand('mount', ['-t', 'tmpfs', '-o', `size=${DISK_BYTES}`, 'tmpfs', dir]);
  if (refused !== null) {
    rmdirSync(dir);
    if (/permission denied|not permitted|only root|must be superuser/i.test(refused)) {
      t.skip(`cannot mount a tmpfs for the broker's data (${refused}): this test needs root or CAP_SYS_ADMIN`);
      return null;
    }
    assert.fail(`mount -t tmpfs failed: ${refused}`);
  }
  // Should the test process die without its after hook, the tmpfs is still detached.
  const detach = () => mountCommand('umount', ['-l', dir]);
  process.once('exit', detach);
  // Registered before the broker starts: a broker that fails to start still leaves the disk unmounted.
  const started: { broker?: RunningBroker } = {};
  t.after(async () => {
    await started.broker?.dispose();
    if (mountCommand('umount', [dir]) !== null) mountCommand('umount', ['-l', dir]);
    process.removeListener('exit', detach);
    rmdirSync(dir);
  });
  started.broker = await startBroker({ dataDir: dir, args: ['--set', `num.partitions=${partitions}`] });
  return { broker: started.broker, dir };
}

/** Runs fill_disk_producer.py: records of `size` bytes, round-robin over `partitions` partitions of `topic`. */
async function produceReports(bootstrap: string, topic: string, partitions: number, size: number, failures: number, limit: number) {
  const run = await runTool(
    '/usr/bin/python3',
    [join(import.meta.dirname, 'fill_disk_producer.py'), bootstrap, topic, String(partitions), String(size), String(failures), String(limit)],
    { timeoutMs: 60_000 },
  );
  const reports = run.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Report);
  assert.ok(!reports.some((r) => 'stuck' in r), `the producer got a delivery report for every record:\n${run.stderr}`);
  return {
    acked: reports.filter((r) => 'o' in r),
    failed: reports.filter((r) => 'error' in r),
    sent: reports.find((r) => 'sent' in r)?.sent,
  };
}

test('ENOSPC fails the produce with KAFKA_STORAGE_ERROR and loses nothing acknowledged', { timeout: 90_000 }, async (t) => {
  const setup = await brokerOnSmallDisk(t, PARTITIONS);
  if (!setup) return;
  const { broker: b, dir } = setup;
  const { acked, failed, sent } = await produceReports(b.bootstrap, TOPIC, PARTITIONS, RECORD_BYTES, FAILURES_PER_PARTITION, LIMIT);
  const codes = [...new Set(failed.map((f) => `${f.error} (${f.code})`))];
  console.log(`disk full: ${sent} sent, ${acked.length} acknowledged, ${failed.length} failed with ${codes.join(', ')}`);

  // Every record got exactly one report: acknowledged or failed, never both.
  assert.equal(acked.length + failed.length, sent);
  assert.equal(new Set([...acked, ...failed].map((r) => r.i)).size, sent);
  for (let p = 0; p < PARTITIONS; p++) {
    assert.ok(acked.some((a) => a.p === p), `partition ${p}: records were acknowledged before the disk filled`);
    assert.ok(failed.some((f) => f.p === p), `partition ${p}: produces failed once the disk was full`);
  }
  // Failures are the broker's storage error, not a timeout or a lost connection.
  assert.deepEqual(codes, [`KAFKA_STORAGE_ERROR (${KAFKA_STORAGE_ERROR})`]);
  // What was acknowledged fits on the disk, and no offset was acknowledged twice.
  assert.ok(acked.length * RECORD_BYTES <= DISK_BYTES, `${acked.length} records of ${RECORD_BYTES} bytes cannot all be on a ${DISK_BYTES}-byte disk`);
  const ackedAt = new Map<string, string>();
  for (const a of acked) {
    assert.equal(ackedAt.get(`${a.p}/${a.o}`), undefined, `offset ${a.p}/${a.o} acknowledged twice`);
    ackedAt.set(`${a.p}/${a.o}`, a.v);
  }

  // The broker is still up and answers metadata for the topic (its logs are offline until a restart).
  assert.equal(b.process.exitCode, null, `the broker exited:\n${b.output()}`);
  assert.equal(b.process.signalCode, null, `the broker was killed:\n${b.output()}`);
  const full = await metadata(b.bootstrap);
  const listed = full.topics.find((x) => x.topic === TOPIC);
  assert.ok(listed, 'the topic is listed while the disk is full');
  assert.deepEqual(listed.partitions.map((p) => p.partition).sort(), [0, 1, 2]);
  assert.ok(listed.partitions.every((p) => p.leader === full.brokers[0].id));
  console.log(`disk full: metadata partition errors: ${listed.partitions.map((p) => `${p.partition}: ${p.error ?? 'none'}`).join('; ')}`);

  // A clean stop with the disk still full, then more room and a start.
  const exitCode = await b.stop('SIGTERM');
  console.log(`disk full: SIGTERM on a full disk, exit code ${exitCode}`);
  assert.equal(mountCommand('mount', ['-o', 'remount,size=64m', dir]), null);
  await b.restart();

  // Every partition is back online (a partition found damaged would stay offline, and kcat would wait for it).
  const reopened = (await metadata(b.bootstrap)).topics.find((x) => x.topic === TOPIC);
  for (const p of reopened?.partitions ?? []) assert.equal(p.error, undefined, `partition ${p.partition} after the restart:\n${b.output()}`);
  assert.equal(reopened?.partitions.length, PARTITIONS);

  const stored = new Map<string, string | null>();
  for (const r of await consumeAllWithKcat(b.bootstrap, TOPIC)) {
    const key = `${r.partition}/${r.offset}`;
    assert.ok(!stored.has(key), `${key} read twice`);
    stored.set(key, r.payload);
  }
  let lost = 0;
  let altered = 0;
  for (const [key, value] of ackedAt) {
    const found = stored.get(key);
    if (found === undefined) lost++;
    else if (found !== value) altered++;
  }
  const unackedKept = [...stored.keys()].filter((key) => !ackedAt.has(key)).length;
  console.log(`disk full: after the restart ${stored.size} records read, ${lost} acknowledged lost, ${altered} altered, ${unackedKept} unacknowledged kept`);
  assert.equal(lost, 0, `acknowledged records lost:\n${b.output()}`);
  assert.equal(altered, 0, `acknowledged records altered:\n${b.output()}`);

  // After the restart every partition takes new records, after everything acknowledged.
  const ends = new Map<number, number>();
  for (const key of stored.keys()) {
    const [p, o] = key.split('/').map(Number);
    ends.set(p, Math.max(ends.get(p) ?? -1, o + 1));
  }
  for (let p = 0; p < PARTITIONS; p++) {
    const produced = await runTool('kcat', ['-b', b.bootstrap, '-P', '-t', TOPIC, '-p', String(p), '-X', 'acks=all'], { input: `after the disk grew ${p}\n`, timeoutMs: 30_000, allowFailure: true });
    assert.equal(produced.code, 0, `produce to partition ${p} after the restart: ${produced.stderr}`);
  }
  const after = await consumeAllWithKcat(b.bootstrap, TOPIC);
  for (let p = 0; p < PARTITIONS; p++) {
    const fresh = after.find((r) => r.payload === `after the disk grew ${p}`);
    assert.ok(fresh, `the record produced to partition ${p} after the restart is readable`);
    assert.equal(fresh.partition, p);
    assert.equal(fresh.offset, ends.get(p) ?? 0, `partition ${p}: the new record follows the old ones`);
  }
  for (const r of after) {
    const value = ackedAt.get(`${r.partition}/${r.offset}`);
    if (value !== undefined) assert.equal(r.payload, value, `${r.partition}/${r.offset} after the new produce`);
  }
  assert.equal(after.filter((r) => ackedAt.has(`${r.partition}/${r.offset}`)).length, ackedAt.size);
});

// A topic auto-created while the disk is full: creating it cannot be made durable (topics.json cannot
// be written), so it must either not exist or be written once there is room. Records acknowledged
// for it after the disk grows must still be there after a restart.
test(
  'a topic auto-created while the disk is full loses no record acknowledged after the disk grows',
  { timeout: 90_000 },
  async (t) => {
    const setup = await brokerOnSmallDisk(t, 1);
    if (!setup) return;
    const { broker: b, dir } = setup;
    const fill = await produceReports(b.bootstrap, TOPIC, 1, RECORD_BYTES, 1, LIMIT);
    assert.ok(fill.failed.length > 0, 'the disk is full');

    // Asks for a new topic while the disk is full: whatever the broker answers, nothing is acknowledged.
    const early = await runTool('kcat', ['-b', b.bootstrap, '-P', '-t', 'born-full', '-X', 'acks=all', '-X', 'message.timeout.ms=5000'], { input: 'on a full disk\n', timeoutMs: 30_000, allowFailure: true });
    console.log(`born-full: produce on the full disk exited with ${early.code}: ${early.stderr.trim().split('\n').at(-1)}`);

    assert.equal(mountCommand('mount', ['-o', 'remount,size=64m', dir]), null);
    const { acked } = await produceReports(b.bootstrap, 'born-full', 1, 100, 1, 30);
    console.log(`born-full: ${acked.length} records acknowledged after the disk grew`);
    assert.ok(acked.length > 0, 'records were acknowledged for the topic once the disk had room');

    await b.stop('SIGTERM');
    await b.restart();
    const read = await runTool('kcat', ['-b', b.bootstrap, '-C', '-t', 'born-full', '-o', 'beginning', '-e', '-J', '-q'], { timeoutMs: 60_000, allowFailure: true });
    const stored = new Map(read.stdout.split('\n').filter(Boolean).map((line) => {
      const r = JSON.parse(line) as KcatRecord;
      return [`${r.partition}/${r.offset}`, r.payload] as const;
    }));
    const missing = acked.filter((a) => stored.get(`${a.p}/${a.o}`) !== a.v);
    assert.equal(missing.length, 0, `${missing.length} of ${acked.length} acknowledged records of born-full are gone after the restart (kcat: ${read.stderr.trim()}):\n${b.output()}`);
  },
);
