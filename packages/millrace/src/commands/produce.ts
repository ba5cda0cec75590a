import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { type CompressionName, type Message, Producer } from '@millrace/client';
import { clientSettings, checkReachable, CommandError, commandError, outputMode, CONNECT_OPTIONS } from '../admin-session.ts';
import { lineParser, type ParsedLine } from '../record-format.ts';

export const PRODUCE_USAGE = `Usage:
  millrace produce TOPIC [-k SEP | --format FORMAT] [-H key=value ...] [-p PARTITION] [-z CODEC] [FILE]

Sends one record per line of FILE, or of standard input, and waits until the broker has them all
(acks=all, idempotent). Prints how many were sent, and the rate.

  -k, --key-sep SEP     each line is KEY SEP VALUE (the first SEP splits; the value may contain more)
  --format FORMAT       how lines are read, from %k (key), %v (value) and %p (partition) with
                        separators between, e.g. '%p\\t%k\\t%v'; escapes \\t \\n
  -H, --header key=value  a header on every record (repeatable)
  -p, --partition N     send every record to partition N (default: by key, or spread when keyless)
  -z, --compression C   none (default), gzip, snappy, lz4 or zstd
  --output json         the summary as JSON
  --brokers HOST:PORT[,...]  default: $MILLRACE_BROKERS or 127.0.0.1:9092

A line that does not match the format stops the command (exit 1) after the records before it were sent.`;

const OPTIONS = {
  ...CONNECT_OPTIONS,
  output: { type: 'string', default: 'table' },
  'key-sep': { type: 'string', short: 'k' },
  format: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
  partition: { type: 'string', short: 'p' },
  compression: { type: 'string', short: 'z', default: 'none' },
  help: { type: 'boolean', short: 'h' },
} as const;

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
/** Records handed to the producer per send: large enough to batch well, small enough to keep memory flat. */
const SEND_SIZE = 1000;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function lineFormat(values: Values): (line: string) => ParsedLine | null {
  if (values['key-sep'] !== undefined && values.format !== undefined) throw new CommandError('use --key-sep or --format, not both', 2);
  if (values['key-sep'] === '') throw new CommandError('--key-sep cannot be empty', 2);
  // A separator is literal text: a % in it is written %% in the format.
  const format = values.format ?? (values['key-sep'] !== undefined ? `%k${values['key-sep'].replaceAll('%', '%%')}%v` : '%v');
  try {
    return lineParser(format);
  } catch (err) {
    throw new CommandError((err as Error).message, 2);
  }
}

function headers(pairs: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CommandError(`--header expects key=value, not "${pair}"`, 2);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

function partitionOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CommandError(`--partition is a partition number, not "${value}"`, 2);
  return n;
}

/** Progress on stderr once a second, when a person is watching. */
function progress(counts: { sent: number; bytes: number }, startedAt: number): NodeJS.Timeout | null {
  if (!process.stderr.isTTY) return null;
  return setInterval(() => {
    const seconds = (Date.now() - startedAt) / 1000;
    process.stderr.write(`\r${counts.sent} records, ${(counts.bytes / 1e6).toFixed(1)} MB, ${Math.round(counts.sent / seconds)} records/s`);
  }, 1000);
}

async function produce(topic: string, file: string | undefined, values: Values): Promise<void> {
  const json = outputMode(values.output) === 'json';
  const parse = lineFormat(values);
  const fixedHeaders = headers(values.header);
  const partition = partitionOption(values.partition);
  if (!CODECS.includes(values.compression)) throw new CommandError(`--compression is one of ${CODECS.join(', ')}, not "${values.compression}"`, 2);

  const settings = clientSettings(values);
  await checkReachable(settings.brokers);
  const producer = new Producer({ ...settings, clientId: 'millrace-cli', compression: values.compression as CompressionName });
  const input = file === undefined ? process.stdin : createReadStream(file);
  const lines = createInterface({ input, crlfDelay: Infinity });
  const startedAt = Date.now();
  const counts = { sent: 0, bytes: 0 };
  const ticker = progress(counts, startedAt);
  const sends: Promise<unknown>[] = [];
  let pending: Message[] = [];
  let lineNumber = 0;
  let failure: unknown = null;
  const flushPending = () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    // A failed send is remembered, not left unhandled: the command reports it and exits 1.
    sends.push(producer.send(topic, batch).then(() => (counts.sent += batch.length), (err: unknown) => (failure ??= err)));
  };
  try {
    for await (const line of lines) {
      lineNumber++;
      const parsed = parse(line);
      if (!parsed) throw new CommandError(`line ${lineNumber} does not match the format: ${JSON.stringify(line.slice(0, 80))}`);
      // Lines are sent as they arrive, as kcat -P does: what one read of the input brought goes in one send.
      if (pending.length === 0) setImmediate(flushPending);
      pending.push({ key: parsed.key ?? null, value: parsed.value ?? '', headers: fixedHeaders, partition: parsed.partition ?? partition });
      counts.bytes += line.length;
      if (pending.length >= SEND_SIZE) flushPending();
      if (failure) break;
      // Keep memory flat on huge inputs: wait for earlier sends once many are outstanding.
      if (sends.length >= 64) await Promise.all(sends.splice(0, 32));
    }
  } catch (err) {
    failure ??= err;
  } finally {
    flushPending();
    await Promise.all(sends);
    await producer.close().catch((err: unknown) => (failure ??= err));
    if (ticker) {
      clearInterval(ticker);
      process.stderr.write('\n');
    }
    lines.close();
  }
  const seconds = (Date.now() - startedAt) / 1000;
  if (json) console.log(JSON.stringify({ topic, records: counts.sent, bytes: counts.bytes, seconds }));
  else console.error(`produced ${counts.sent} records to ${topic} in ${seconds.toFixed(2)} s (${Math.round(counts.sent / Math.max(seconds, 0.001))} records/s)`);
  if (failure) throw commandError(failure);
}

export async function produceCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`millrace produce: ${(err as Error).message}\n\n${PRODUCE_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(PRODUCE_USAGE);
    return 0;
  }
  if (positionals.length < 1 || positionals.length > 2) {
    console.error(`millrace produce: needs a TOPIC (and at most one FILE)\n\n${PRODUCE_USAGE}`);
    return 2;
  }
  try {
    await produce(positionals[0], positionals[1], values);
    return 0;
  } catch (err) {
    const failure = commandError(err);
    console.error(`millrace produce: ${failure.message}`);
    return failure.exitCode;
  }
}
