// `millrace group ...` run as a user runs it: a process against a real broker, output checked.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { startBroker, type RunningBroker } from '../harness/broker-process.ts';
import { runTool } from '../harness/run-tool.ts';
import { MemberProcess } from '../groups/member-process.ts';
import { waitFor } from '../../packages/broker/src/test-support/wait-for.ts';

const main = join(resolve(import.meta.dirname, '../..'), 'packages/millrace/src/main.ts');
let broker: RunningBroker;
let member: MemberProcess | null = null;

before(async () => {
  broker = await startBroker({ args: ['--set', 'num.partitions=3', '--set', 'group.initial.rebalance.delay.ms=0'] });
});

after(async () => {
  await member?.kill();
  await broker?.dispose();
});

function millrace(...args: string[]) {
  return runTool(process.execPath, ['--conditions=development', main, ...args, '--brokers', broker.bootstrap], { timeoutMs: 30_000, allowFailure: true });
}


interface Row {
  topic: string;
  partition: number;
  currentOffset: number | null;
  logEndOffset: number;
  lag: number | null;
  consumerId: string | null;
  clientId: string | null;
}

async function describe(): Promise<Row[]> {
  const { stdout, code } = await millrace('group', 'describe', 'watchers', '--output', 'json');
  assert.equal(code, 0);
  return JSON.parse(stdout) as Row[];
}

test('help and usage errors', { timeout: 30_000 }, async () => {
  const help = await runTool(process.execPath, ['--conditions=development', main, '--help'], { timeoutMs: 10_000 });
  assert.match(help.stdout, /millrace group list\|describe\|reset-offsets\|delete/);
  const groupHelp = await millrace('group', '--help');
  assert.equal(groupHelp.code, 0);
  assert.match(groupHelp.stdout, /--to-datetime ISO/);
  const missing = await millrace('group', 'describe');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /describe needs a GROUP/);
  const nowhere = await runTool(process.execPath, ['--conditions=development', main, 'group', 'list', '--brokers', '127.0.0.1:1'], { timeoutMs: 10_000, allowFailure: true });
  assert.equal(nowhere.code, 1);
  assert.match(nowhere.stderr, /cannot connect to 127.0.0.1:1/);
});

test('list, describe with members and lag, reset refused while active, reset and delete once empty', { timeout: 120_000 }, async () => {
  await runTool('kcat', ['-b', broker.bootstrap, '-t', 'watched', '-P', '-K:'], { input: Array.from({ length: 300 }, (_, i) => `k${i}:v${i}`).join('\n') + '\n', timeoutMs: 30_000 });
  member = new MemberProcess(broker.bootstrap, 'watched', 'watchers');
  await waitFor('the member to consume everything', () => member!.values.length === 300);
  await waitFor('commits to reach the log end', async () => (await describe()).every((r) => r.lag === 0));

  const listed = await millrace('group', 'list');
  assert.match(listed.stdout, /^watchers\s+Stable\s+consumer$/m);
  const rows = await describe();
  assert.deepEqual(rows.map((r) => r.partition), [0, 1, 2]);
  assert.equal(rows.reduce((sum, r) => sum + r.logEndOffset, 0), 300);
  assert.ok(rows.every((r) => r.consumerId?.startsWith('rdkafka-') && r.clientId === 'rdkafka'), 'each partition shows its owner');

  await member.kill();
  await runTool('kcat', ['-b', broker.bootstrap, '-t', 'watched', '-P', '-p', '0'], { input: 'late-1\nlate-2\n', timeoutMs: 30_000 });
  const behind = await describe();
  assert.equal(behind.find((r) => r.partition === 0)!.lag, 2, 'lag counts what the group has not consumed');

  const refused = await millrace('group', 'reset-offsets', 'watchers', '--topic', 'watched', '--to-earliest');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /stop its consumers before resetting offsets/);

  await waitFor('the killed member to time out', async () => /watchers\s+Empty/.test((await millrace('group', 'list')).stdout));
  const dry = await millrace('group', 'reset-offsets', 'watchers', '--topic', 'watched', '--to-earliest', '--dry-run');
  assert.match(dry.stdout, /dry run/);
  assert.ok((await describe()).every((r) => r.currentOffset !== 0), 'a dry run changes nothing');
  const reset = await millrace('group', 'reset-offsets', 'watchers', '--topic', 'watched', '--to-earliest');
  assert.equal(reset.code, 0, reset.stderr);
  assert.ok((await describe()).every((r) => r.currentOffset === 0 && r.lag === r.logEndOffset));
  const shifted = await millrace('group', 'reset-offsets', 'watchers', '--topic', 'watched', '--shift-by', '5');
  assert.equal(shifted.code, 0, shifted.stderr);
  assert.ok((await describe()).every((r) => r.currentOffset === 5));
  // A negative shift as users type it, without '=': JSON numbers, the previous offset too.
  const back = await millrace('group', 'reset-offsets', 'watchers', '--topic', 'watched', '--shift-by', '-1', '--output', 'json');
  assert.equal(back.code, 0, back.stderr);
  assert.deepEqual((JSON.parse(back.stdout) as { partition: number; previousOffset: number; newOffset: number }[]).map((r) => [r.partition, r.previousOffset, r.newOffset]), [[0, 5, 4], [1, 5, 4], [2, 5, 4]]);
  assert.ok((await describe()).every((r) => r.currentOffset === 4));
  const latest = await millrace('group', 'reset-offsets', 'watchers', '--topic', 'watched', '--to-latest');
  assert.equal(latest.code, 0);
  assert.ok((await describe()).every((r) => r.lag === 0));

  const deleted = await millrace('group', 'delete', 'watchers');
  assert.equal(deleted.code, 0);
  assert.doesNotMatch((await millrace('group', 'list')).stdout, /watchers/);
  const again = await millrace('group', 'delete', 'watchers');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /GROUP_ID_NOT_FOUND/);
});
