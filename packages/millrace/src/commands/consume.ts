import { parseArgs } from 'node:util';
import { type Admin, type ConsumedRecord, Consumer } from '@millrace/client';
import { clientSettings, CommandError, commandError, joinNegativeNumbers, outputMode, withAdmin, CONNECT_OPTIONS } from '../admin-session.ts';
import { formatRecord, parseFormat } from '../record-format.ts';
import { onStopSignal } from '../stop-signals.ts';

export const CONSUME_USAGE = `Usage:
  millrace consume TOPIC [-o OFFSET] [-n COUNT] [-f] [-g GROUP] [-p PARTITION ...] [--format FORMAT]

Prints the topic's records, from every partition (or the -p ones), and exits at the end of the
topic as it was when the command started, unless -f follows it for new records.

  -o, --offset OFFSET   where to start: beginning (default), end, N (an offset), -N (N before the end
                        of each partition), @MS or @ISO-DATETIME (the first record at or after it)
  -n, --count COUNT     exit after COUNT records
  -f, --follow          keep waiting for new records (Ctrl-C to stop)
  -g, --group GROUP     consume as a member of GROUP, from its committed offsets (-o beginning or end
                        then applies only where it has none), committing what was printed
  --format FORMAT       default '%v\\n'; fields %t topic, %p partition, %o offset, %k key, %v value,
                        %T timestamp (ms), %h headers (k=v,k=v); escapes \\n \\t
  --output json         one JSON object per record instead
  --brokers HOST:PORT[,...]  default: $MILLRACE_BROKERS or 127.0.0.1:9092`;

const OPTIONS = {
  ...CONNECT_OPTIONS,
  output: { type: 'string', default: 'table' },
  offset: { type: 'string', short: 'o', default: 'beginning' },
  count: { type: 'string', short: 'n' },
  follow: { type: 'boolean', short: 'f' },
  group: { type: 'string', short: 'g' },
  partition: { type: 'string', short: 'p', multiple: true },
  format: { type: 'string', default: '%v\\n' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Start = { kind: 'beginning' } | { kind: 'end' } | { kind: 'offset'; offset: number } | { kind: 'back'; count: number } | { kind: 'time'; timestamp: number };

function parseStart(value: string): Start {
  if (value === 'beginning' || value === 'earliest') return { kind: 'beginning' };
  if (value === 'end' || value === 'latest') return { kind: 'end' };
  if (/^\d+$/.test(value)) return { kind: 'offset', offset: Number(value) };
  if (/^-\d+$/.test(value)) return { kind: 'back', count: Number(value.slice(1)) };
  if (value.startsWith('@')) {
    const text = value.slice(1);
    const timestamp = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
    if (Number.isFinite(timestamp)) return { kind: 'time', timestamp };
  }
  throw new CommandError(`--offset is beginning, end, N, -N, @MS or @ISO-DATETIME, not "${value}"`, 2);
}

/** Where each partition starts, and where it ended when the command started. */
async function plan(admin: Admin, topic: string, only: number[] | null, start: Start): Promise<{ partitions: number[]; from: Map<number, number>; ends: Map<number, number> }> {
  const [description] = await admin.describeTopics([topic]);
  const all = description.partitions.map((p) => p.partition);
  for (const p of only ?? []) if (!all.includes(p)) throw new CommandError(`${topic} has partitions 0-${all.length - 1}; there is no partition ${p}`, 2);
  const partitions = only ?? all;
  const [earliest, latest] = await Promise.all([admin.listOffsets(topic, 'earliest'), admin.listOffsets(topic, 'latest')]);
  const at = (list: { partition: number; offset: number }[]) => new Map(list.map((o) => [o.partition, o.offset]));
  const starts = at(earliest);
  const ends = at(latest);
  let from: Map<number, number>;
  if (start.kind === 'beginning') from = starts;
  else if (start.kind === 'end') from = ends;
  else if (start.kind === 'offset') from = new Map(partitions.map((p) => [p, Math.min(Math.max(start.offset, starts.get(p)!), ends.get(p)!)]));
  else if (start.kind === 'back') from = new Map(partitions.map((p) => [p, Math.max(starts.get(p)!, ends.get(p)! - start.count)]));
  else {
    const { timestamp } = start;
    from = at(await admin.listOffsets(topic, { timestamp }));
  }
  return { partitions, from, ends };
}

function positiveCount(value: string | undefined): number {
  if (value === undefined) return Infinity;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CommandError(`--count is a positive whole number, not "${value}"`, 2);
  return n;
}

function partitionList(values: string[] | undefined): number[] | null {
  if (!values) return null;
  return values.map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new CommandError(`--partition is a partition number, not "${v}"`, 2);
    return n;
  });
}

function toJson(r: ConsumedRecord): string {
  return JSON.stringify({
    topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp,
    key: r.key?.toString('utf8') ?? null, value: r.value?.toString('utf8') ?? null,
    headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString('utf8') ?? null])),
  });
}

/** Writes to stdout, waiting when the pipe is full (a slow reader such as `less` holds the consumer back). */
function print(text: string): Promise<void> | null {
  if (process.stdout.write(text)) return null;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

async function consume(topic: string, values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values']): Promise<void> {
  const json = outputMode(values.output) === 'json';
  let pieces;
  try {
    pieces = parseFormat(values.format);
  } catch (err) {
    throw new CommandError((err as Error).message, 2);
  }
  const start = parseStart(values.offset);
  const count = positiveCount(values.count);
  const only = partitionList(values.partition);
  if (values.group && (start.kind !== 'beginning' && start.kind !== 'end')) throw new CommandError('with --group, --offset is beginning or end (where the group has no committed offset)', 2);
  if (values.group && only) throw new CommandError('with --group, the group assigns the partitions: leave out --partition', 2);

  const { partitions, from, ends } = await withAdmin(values, (admin) => plan(admin, topic, only, start));
  const consumer = new Consumer({
    ...clientSettings(values), clientId: 'millrace-cli', groupId: values.group,
    autoOffsetReset: start.kind === 'end' ? 'latest' : 'earliest',
  });
  if (values.group) consumer.subscribe([topic]);
  else consumer.assign(partitions.map((partition) => ({ topic, partition, offset: from.get(partition) })));

  // Done (without --follow) once every partition held is printed up to where the topic ended at the
  // start. A partition whose last offsets hold no record to print (transaction markers, compacted
  // away) counts as done when the consumer's position passed the end while the loop waits for more.
  const printedUpTo = new Map<number, number>();
  let waitingForRecord = true;
  const done = (byPosition: boolean) => {
    const held = consumer.assignment();
    return held.length > 0 && held.every((tp) => {
      const end = ends.get(tp.partition) ?? 0;
      const startedAt = values.group ? -1 : (from.get(tp.partition) ?? -1);
      return (printedUpTo.get(tp.partition) ?? startedAt) >= end || (byPosition && (consumer.position(tp) ?? -1) >= end);
    });
  };
  let stopped = false;
  const stop = () => {
    stopped = true;
    void consumer.close();
  };
  onStopSignal(stop);
  const watcher = values.follow ? null : setInterval(() => waitingForRecord && done(true) && stop(), 100);
  let printed = 0;
  try {
    for await (const r of consumer.records()) {
      waitingForRecord = false;
      const waiting = print(json ? `${toJson(r)}\n` : formatRecord(pieces, r));
      if (waiting) await waiting;
      printed++;
      printedUpTo.set(r.partition, r.offset + 1);
      if (printed >= count || (!values.follow && done(false))) break;
      waitingForRecord = true;
    }
  } catch (err) {
    throw commandError(err);
  } finally {
    if (watcher) clearInterval(watcher);
  }
  // Leaving the loop early (-n, or the end reached mid-batch): what was printed is committed exactly.
  if (values.group && !stopped) await consumer.commit().catch((err: unknown) => console.error(`millrace consume: the last offsets were not committed: ${commandError(err).message}`));
  await consumer.close();
}


export async function consumeCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeNumbers(args, { '-o': 'offset', '--offset': 'offset' }), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`millrace consume: ${(err as Error).message}\n\n${CONSUME_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(CONSUME_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`millrace consume: needs one TOPIC\n\n${CONSUME_USAGE}`);
    return 2;
  }
  try {
    await consume(positionals[0], values);
    return 0;
  } catch (err) {
    const failure = commandError(err);
    console.error(`millrace consume: ${failure.message}`);
    return failure.exitCode;
  }
}
