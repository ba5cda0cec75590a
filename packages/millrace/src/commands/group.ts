import { parseArgs } from 'node:util';
import type { Admin } from '@millrace/client';
import { CommandError, joinNegativeNumbers, outputMode, printTable, withAdmin, CONNECT_OPTIONS } from '../admin-session.ts';

export const GROUP_USAGE = `Usage:
  millrace group list                       groups with their state
  millrace group describe GROUP             members, and per partition: committed offset, log end offset, lag
  millrace group reset-offsets GROUP --topic TOPIC (--to-earliest | --to-latest | --to-datetime ISO |
                                       --to-offset N | --shift-by N) [--dry-run]
                                            move committed offsets (only while the group has no members)
  millrace group delete GROUP               delete a group with no members, and its offsets

Options: --brokers HOST:PORT (default: $MILLRACE_BROKERS or 127.0.0.1:9092), --output table|json`;

const OPTIONS = {
  ...CONNECT_OPTIONS,
  output: { type: 'string', default: 'table' },
  topic: { type: 'string' },
  'to-earliest': { type: 'boolean' },
  'to-latest': { type: 'boolean' },
  'to-datetime': { type: 'string' },
  'to-offset': { type: 'string' },
  'shift-by': { type: 'string' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

async function list(admin: Admin, values: Values): Promise<void> {
  const groups = await admin.listGroups();
  printTable(['GROUP', 'STATE', 'PROTOCOL-TYPE'], groups.map((g) => [g.groupId, g.state ?? null, g.protocolType || null]), outputMode(values.output));
}

/** A group the broker does not know, as Kafka's tools report it. */
function notFound(group: string): CommandError {
  return new CommandError(`describe ${group}: GROUP_ID_NOT_FOUND (list groups with: millrace group list)`);
}

async function describe(admin: Admin, group: string, values: Values): Promise<void> {
  const [described] = await admin.describeGroups([group]);
  if (described.state === 'Dead') throw notFound(group);
  const owners = new Map<string, { memberId: string; host: string; clientId: string }>();
  for (const m of described.members) {
    for (const tp of m.assignment?.partitions ?? []) for (const p of tp.partitions) owners.set(`${tp.topic}\u0000${p}`, m);
  }
  const lags = await admin.groupLag(group);
  const output = outputMode(values.output);
  if (output === 'table') console.log(`Group ${group}: ${described.state}, ${described.members.length} member(s)\n`);
  printTable(
    ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
    lags.map((l) => {
      const owner = owners.get(`${l.topic}\u0000${l.partition}`);
      return [l.topic, l.partition, l.committed ?? null, l.logEndOffset, l.lag ?? null, owner?.memberId ?? null, owner?.host ?? null, owner?.clientId ?? null];
    }),
    output,
  );
}

function targetFlag(values: Values): string {
  const chosen = ['to-earliest', 'to-latest', 'to-datetime', 'to-offset', 'shift-by'].filter((f) => values[f as keyof Values] !== undefined);
  if (chosen.length !== 1) throw new CommandError('reset-offsets needs exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset, --shift-by', 2);
  return chosen[0];
}

function integer(flag: string, text: string): number {
  if (!/^-?\d+$/.test(text)) throw new CommandError(`--${flag} expects an integer, not "${text}"`, 2);
  return Number(text);
}

function parseDate(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new CommandError(`--to-datetime expects an ISO date such as 2026-11-22T10:00:00Z, not "${text}"`, 2);
  return ms;
}

async function resetOffsets(admin: Admin, group: string, values: Values): Promise<void> {
  const topic = values.topic;
  if (!topic) throw new CommandError('reset-offsets needs --topic TOPIC', 2);
  const how = targetFlag(values);
  const output = outputMode(values.output);
  const [described] = await admin.describeGroups([group]);
  if (described.state !== 'Empty' && described.state !== 'Dead') {
    throw new CommandError(`group ${group} is ${described.state} with ${described.members.length} member(s): stop its consumers before resetting offsets`);
  }
  const byPartition = (list: { partition: number; offset: number }[]) => new Map(list.map((o) => [o.partition, o.offset]));
  const [earliest, latest, committedList] = await Promise.all([admin.listOffsets(topic, 'earliest'), admin.listOffsets(topic, 'latest'), admin.fetchOffsets(group, [topic])]);
  const low = byPartition(earliest);
  const high = byPartition(latest);
  const committed = byPartition(committedList);
  const byTime = how === 'to-datetime' ? byPartition(await admin.listOffsets(topic, { timestamp: parseDate(values['to-datetime']!) })) : null;
  const targets = [...high.keys()].sort((a, b) => a - b).map((partition) => {
    let target: number;
    if (how === 'to-earliest') target = low.get(partition)!;
    else if (how === 'to-latest') target = high.get(partition)!;
    else if (how === 'to-datetime') target = byTime!.get(partition) ?? high.get(partition)!;
    else if (how === 'to-offset') target = integer('to-offset', values['to-offset']!);
    else target = (committed.get(partition) ?? low.get(partition)!) + integer('shift-by', values['shift-by']!);
    return { partition, previous: committed.get(partition), target: Math.min(Math.max(target, low.get(partition)!), high.get(partition)!) };
  });
  if (!values['dry-run']) await admin.resetOffsets(group, { topic, to: { offsets: Object.fromEntries(targets.map((t) => [t.partition, t.target])) } });
  printTable(['TOPIC', 'PARTITION', 'PREVIOUS-OFFSET', 'NEW-OFFSET'], targets.map((x) => [topic, x.partition, x.previous ?? null, x.target]), output);
  if (values['dry-run'] && output === 'table') console.log('\n(dry run: nothing was changed)');
}

async function remove(admin: Admin, group: string): Promise<void> {
  await admin.deleteGroups([group]);
  console.log(`deleted group ${group}`);
}

export async function groupCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(args, { '--shift-by': 'shift-by' }), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`millrace group: ${(err as Error).message}\n\n${GROUP_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [action, group] = positionals;
  if (values.help || action === undefined) {
    console.log(GROUP_USAGE);
    return action === undefined && !values.help ? 2 : 0;
  }
  const needsGroup = action !== 'list';
  if (!['list', 'describe', 'reset-offsets', 'delete'].includes(action) || (needsGroup && !group)) {
    console.error(`millrace group: ${needsGroup && !group ? `${action} needs a GROUP` : `unknown action "${action}"`}\n\n${GROUP_USAGE}`);
    return 2;
  }
  try {
    outputMode(values.output);
    await withAdmin(values, (admin) => {
      if (action === 'list') return list(admin, values);
      if (action === 'describe') return describe(admin, group, values);
      if (action === 'reset-offsets') return resetOffsets(admin, group, values);
      return remove(admin, group);
    });
    return 0;
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    console.error(`millrace group ${action}: ${err.message}`);
    return err.exitCode;
  }
}
