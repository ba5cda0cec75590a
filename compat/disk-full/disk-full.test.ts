// A full disk with a real client: the broker's data directory is a small tmpfs the test mounts.
// librdkafka (acks=all, no retries) produces until the disk is full: the produce that does not fit
// fails with KAFKA_STORAGE_ERROR and is never acknowledged, the broker keeps serving, and after the
// disk grows and the broker restarts every acknowledged record is there with its bytes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { consumeAllWithKcat } from '../harness/kcat.ts';
import { runTool } from '../harness/run-tool.ts';

const RECORD_BYTES = 10_000;

function tryMount(dir: string, size: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
  }
}

test('ENOSPC fails the produce with KAFKA_STORAGE_ERROR and loses nothing acknowledged', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-full-'));
  const refused = tryMount(dir, '16m');
  if (refused) {
    rmSync(dir, { recursive: true, force: true });
    t.skip(`cannot mount a tmpfs here (${refused}): this test needs root or CAP_SYS_ADMIN`);
    return;
  }
  let broker: RunningBroker | undefined;
  try {
    broker = await startBroker({ dataDir: dir, args: ['--set', 'num.partitions=1'] });
    const run = await runTool('/usr/bin/python3', [join(import.meta.dirname, 'fill_disk_producer.py'), broker.bootstrap, 'filling', '3000', String(RECORD_BYTES)], { timeoutMs: 120_000 });
    const events = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { p?: number; o?: number; v?: string; error?: string });
    const acked = events.filter((e) => e.o !== undefined);
    const errors = new Set(events.flatMap((e) => (e.error ? [e.error] : [])));
    console.log(`disk full: ${acked.length} acknowledged, ${events.length - acked.length} failed with ${[...errors].join(', ')}`);
    assert.ok(acked.length > 100, 'records were acknowledged before the disk filled');
    assert.ok(acked.length * RECORD_BYTES <= 16 * 1024 * 1024, `${acked.length} records of ${RECORD_BYTES} bytes cannot all be on a 16 MiB disk`);
    assert.deepEqual([...errors], ['KAFKA_STORAGE_ERROR']);
    await runTool('kcat', ['-b', broker.bootstrap, '-L'], { timeoutMs: 30_000 });

    execFileSync('mount', ['-o', 'remount,size=64m', dir]);
    await broker.stop('SIGKILL');
    await broker.restart();
    const stored = new Map((await consumeAllWithKcat(broker.bootstrap, 'filling')).map((r) => [r.offset, r.payload!.slice(0, 20)]));
    for (const a of acked) assert.equal(stored.get(a.o!), a.v, `acknowledged offset ${a.o}`);
    const after = await runTool('kcat', ['-b', broker.bootstrap, '-P', '-t', 'filling'], { input: 'after the disk grew\n', timeoutMs: 30_000 });
    assert.equal(after.code, 0);
    assert.ok((await consumeAllWithKcat(broker.bootstrap, 'filling')).some((r) => r.payload === 'after the disk grew'));
  } finally {
    await broker?.stop('SIGKILL');
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});
