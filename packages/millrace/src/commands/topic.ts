import { parseArgs } from 'node:util';
import type { Admin } from '@millrace/client';
import { CommandError, outputMode, printTable, withAdmin, CONNECT_OPTIONS } from '../admin-session.ts';

export const TOPIC_USAGE = `Usage:
  millrace topic create TOPIC... [-p PARTITIONS] [-r REPLICAS] [-c key=value ...]
                                            create topics (default partitions: the broker's num.partitions)
  millrace topic list [--internal]          topic names, partitions and replicas
  millrace topic describe TOPIC             partitions (leader, replicas, offsets) and the settings that differ from defaults
  millrace topic delete TOPIC...            delete topics and their records
  millrace topic alter-config TOPIC [--set key=value ...] [--delete key ...]
                                            change topic settings (--delete returns one to its default)
  millrace topic add-partitions TOPIC --num N
                                            grow a topic to N partitions in total

Options: --brokers HOST:PORT[,...] (default: $MILLRACE_BROKERS or 127.0.0.1:9092), --output table|json
Topic settings use Kafka's names (retention.ms, cleanup.policy, ...); see docs/configuration.md.`;

const OPTIONS = {
  ...CONNECT_OPTIONS,
  output: { type: 'string', default: 'table' },
  partitions: { type: 'string', short: 'p' },
  replicas: { type: 'string', short: 'r' },
  config: { type: 'string', short: 'c', multiple: true },
  set: { type: 'string', multiple: true },
  delete: { type: 'string', multiple: true },
  num: { type: 'string' },
  internal: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** The actions, how many topic names each takes, and what they do. */
const ACTIONS: Record<string, { topics: 'none' | 'one' | 'some'; run: (admin: Admin, topics: string[], values: Values) => Promise<void> }> = {
  create: { topics: 'some', run: create },
  list: { topics: 'none', run: list },
  describe: { topics: 'one', run: describe },
  delete: { topics: 'some', run: remove },
  'alter-config': { topics: 'one', run: alterConfig },
  'add-partitions': { topics: 'one', run: addPartitions },
};

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CommandError(`${name} is a positive whole number, not "${value}"`, 2);
  return n;
}

/** key=value pairs of --config / --set. */
function settings(name: string, pairs: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CommandError(`${name} expects key=value, not "${pair}"`, 2);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

async function create(admin: Admin, topics: string[], values: Values): Promise<void> {
  const partitions = positiveInt('--partitions', values.partitions);
  const replicationFactor = positiveInt('--replicas', values.replicas);
  const configs = settings('--config', values.config);
  const created = await admin.createTopics(topics.map((topic) => ({ topic, partitions, replicationFactor, configs })));
  if (outputMode(values.output) === 'json') console.log(JSON.stringify(created, null, 2));
  else for (const t of created) console.log(`created topic ${t.topic} (${t.partitions} partitions, replication factor ${t.replicationFactor})`);
}

async function list(admin: Admin, _topics: string[], values: Values): Promise<void> {
  const names = await admin.listTopics({ includeInternal: values.internal });
  const described = names.length > 0 ? await admin.describeTopics(names) : [];
  printTable(['Topic', 'Partitions', 'Replicas'], described.map((t) => [t.topic, t.partitions.length, t.partitions[0]?.replicas.length ?? 0]), outputMode(values.output));
}

async function describe(admin: Admin, [topic]: string[], values: Values): Promise<void> {
  const [description] = await admin.describeTopics([topic]);
  const [earliest, latest, configs] = await Promise.all([
    admin.listOffsets(topic, 'earliest'),
    admin.listOffsets(topic, 'latest'),
    admin.describeConfigs([{ type: 'topic', name: topic }]),
  ]);
  const offset = (list: { partition: number; offset: number }[], partition: number) => list.find((o) => o.partition === partition)?.offset ?? -1;
  const partitions = description.partitions.map((p) => ({
    partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr,
    logStartOffset: offset(earliest, p.partition), logEndOffset: offset(latest, p.partition),
  }));
  const overrides = Object.values(configs[0].configs).filter((c) => !c.isDefault).map((c) => ({ name: c.name, value: c.value, source: c.source }));
  if (outputMode(values.output) === 'json') {
    console.log(JSON.stringify({ topic, topicId: description.topicId, internal: description.internal, partitions, configs: overrides }, null, 2));
    return;
  }
  console.log(`topic ${topic}  id ${description.topicId ?? '-'}  ${partitions.length} partitions${description.internal ? '  (internal)' : ''}\n`);
  printTable(['Partition', 'Leader', 'Replicas', 'ISR', 'Log-Start-Offset', 'Log-End-Offset'],
    partitions.map((p) => [p.partition, p.leader, p.replicas.join(','), p.isr.join(','), p.logStartOffset, p.logEndOffset]), 'table');
  console.log('');
  if (overrides.length === 0) console.log('settings: all defaults');
  else printTable(['Setting', 'Value', 'Source'], overrides.map((c) => [c.name, c.value ?? '(sensitive)', c.source]), 'table');
}

async function remove(admin: Admin, topics: string[]): Promise<void> {
  await admin.deleteTopics(topics);
  for (const topic of topics) console.log(`deleted topic ${topic}`);
}

async function alterConfig(admin: Admin, [topic]: string[], values: Values): Promise<void> {
  const set = settings('--set', values.set);
  const deleted = values.delete ?? [];
  if (Object.keys(set).length === 0 && deleted.length === 0) throw new CommandError('alter-config needs --set key=value or --delete key', 2);
  await admin.incrementalAlterConfigs([{ type: 'topic', name: topic, set, delete: deleted }]);
  for (const [key, value] of Object.entries(set)) console.log(`${topic}: ${key}=${value}`);
  for (const key of deleted) console.log(`${topic}: ${key} back to its default`);
}

async function addPartitions(admin: Admin, [topic]: string[], values: Values): Promise<void> {
  const count = positiveInt('--num', values.num);
  if (count === undefined) throw new CommandError('add-partitions needs --num N (the new total)', 2);
  await admin.createPartitions([{ topic, count }]);
  console.log(`${topic} now has ${count} partitions`);
}

export async function topicCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`millrace topic: ${(err as Error).message}\n\n${TOPIC_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [action, ...topics] = positionals;
  if (values.help || action === undefined) {
    console.log(TOPIC_USAGE);
    return values.help ? 0 : 2;
  }
  const spec = ACTIONS[action];
  if (!spec) {
    console.error(`millrace topic: unknown action "${action}"\n\n${TOPIC_USAGE}`);
    return 2;
  }
  const wrongCount = spec.topics === 'none' ? topics.length > 0 : spec.topics === 'one' ? topics.length !== 1 : topics.length === 0;
  if (wrongCount) {
    console.error(`millrace topic ${action}: ${spec.topics === 'none' ? 'takes no topic' : spec.topics === 'one' ? 'needs one TOPIC' : 'needs a TOPIC'}\n\n${TOPIC_USAGE}`);
    return 2;
  }
  try {
    outputMode(values.output);
    await withAdmin(values, (admin) => spec.run(admin, topics, values));
    return 0;
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    console.error(`millrace topic ${action}: ${err.message}`);
    return err.exitCode;
  }
}
